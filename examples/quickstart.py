"""Train LSTM and attention next-state models on synthetic data; compare them with baselines.

The sequences follow a second-order chain, so the state after ``a, b`` depends on both;
the script reports held-out next-state accuracy next to the best accuracy
possible. Runs in under a minute on a laptop CPU.
"""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sklearn_seqlab import (
    MarkovClassifier,
    NextStateClassifier,
    StateEncoder,
    VariableOrderMarkovClassifier,
)
from sklearn_seqlab.datasets import make_markov_sequences


def main():
    X, transitions, states = make_markov_sequences(
        1500,
        n_states=12,
        order=2,
        min_length=6,
        max_length=24,
        concentration=0.2,
        return_transitions=True,
        random_state=0,
    )
    train, test = train_test_split(X, test_size=0.25, random_state=0)

    index = {s: i for i, s in enumerate(states)}
    # expected accuracy of the best possible predictor, which knows the true chain
    oracle = np.mean([transitions[index[s[-3]], index[s[-2]]].max() for s in test])
    models = {
        "Markov": MarkovClassifier(),
        "order 2": VariableOrderMarkovClassifier(max_order=2),
        "lstm": NextStateClassifier("lstm", hidden_dim=48, max_epochs=10, random_state=0),
        "attention": NextStateClassifier("attention", hidden_dim=48, max_epochs=10, random_state=0),
    }
    print(f"{'model':<12} held-out next-state accuracy")
    for name, model in models.items():
        pipe = Pipeline([("enc", StateEncoder()), ("clf", model)])
        print(f"{name:<12} {pipe.fit(train).score(test):.3f}")
    print(f"{'best possible':<12} {oracle:.3f}  (expected accuracy of the true chain's argmax)")
    print("next state after s01 s02:", pipe.predict([["s01", "s02"]])[0])


if __name__ == "__main__":
    main()
