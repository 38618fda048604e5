"""Tune a model from a SeqLab experiment config, with a search that never sees the test data.

``read_config`` reads SeqLab's JSON as it is and maps each model to an estimator and its
``optimization_config`` to distributions for ``RandomizedSearchCV``. The search runs on the
training sequences only; the test sequences score the chosen model once. Runs in under a
minute on a laptop CPU.
"""

from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from sklearn_seqlab import StateEncoder
from sklearn_seqlab.config import read_config
from sklearn_seqlab.datasets import make_chord_progressions
from sklearn_seqlab.metrics import accuracy_scorer

CONFIG = {
    "chords": {
        "datasets": ["builtin:chords"],
        "number_of_trials": 3,
        "models": [
            {
                "name": "LSTMModelWithAttention",
                "epochs": 8,
                "optimization_config": {
                    "lr": {"type": "float", "min": 1e-3, "max": 1e-2},
                    "hidden_dim": {"values": [32, 64]},
                    "embedding_dim": {"values": [16, 32]},
                },
            },
            {
                "name": "VariableOrderMarkovModel",
                "optimization_config": {"max_order": {"min": 1, "max": 4}},
            },
        ],
    }
}


def main():
    (experiment,) = read_config(CONFIG)
    X = make_chord_progressions(300, min_length=8, max_length=24, random_state=0)
    train, test = train_test_split(X, test_size=0.25, random_state=0)
    for spec in experiment.models:
        estimator = spec.estimator()
        if "random_state" in estimator.get_params():
            estimator.set_params(random_state=0)
        search = RandomizedSearchCV(
            Pipeline([("enc", StateEncoder()), ("clf", estimator)]),
            spec.param_distributions(prefix="clf__"),
            n_iter=experiment.number_of_trials,
            cv=3,
            scoring=accuracy_scorer,
            random_state=0,
        ).fit(train)
        chosen = {k.removeprefix("clf__"): v for k, v in search.best_params_.items()}
        print(f"{spec.name}: chose {chosen}")
        print(f"  held-out next-chord accuracy {search.score(test):.3f}")


if __name__ == "__main__":
    main()
