import json

import pytest
from scipy.stats import loguniform
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.config import ConfigError, read_config
from sklearn_seqlab.datasets import make_markov_sequences

SEQLAB = {
    "one_to_one": {
        "datasets": ["data/chords.txt"],
        "kfold_splits": 3,
        "number_of_trials": 2,
        "models": [
            {"name": "MarkovModel", "epochs": 1,
             "optimization_config": {"alpha": {"type": "float", "min": 1e-5, "max": 1.0}}},
            {"name": "LSTMModel", "epochs": 2,
             "optimization_config": {
                 "lr": {"type": "float", "min": 1e-3, "max": 1e-2},
                 "num_layers": {"type": "int", "min": 1, "max": 2},
                 "hidden_dim": {"type": "categorical", "values": [8, 16]}}},
            {"name": "LSTMModelWithAttention", "params": {"embedding_dim": 8}},
            {"name": "VariableOrderMarkovModel",
             "optimization_config": {"max_order": {"min": 1, "max": 3},
                                     "discount": {"min": 0.5, "max": 0.9}}},
        ],
    }
}  # fmt: skip


def test_reads_seqlab_configs_as_they_are(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(SEQLAB))
    (experiment,) = read_config(path)
    assert experiment.name == "one_to_one" and experiment.kfold_splits == 3
    markov, lstm, attention, vomm = experiment.models
    assert isinstance(lstm.estimator(), NextStateClassifier)
    assert lstm.estimator().max_epochs == 2
    assert attention.estimator().get_params()["module"] == "attention"
    assert attention.estimator().embedding_dim == 8
    dist = lstm.param_distributions(prefix="clf__")
    assert isinstance(dist["clf__lr"].dist, type(loguniform(1e-3, 1e-2).dist))
    assert dist["clf__hidden_dim"] == [8, 16]
    assert dist["clf__num_layers"].rvs(20, random_state=0).tolist() <= [2] * 20
    assert set(dist["clf__num_layers"].rvs(50, random_state=0)) == {1, 2}
    assert markov.ranges[0].kind == "log"
    assert [r.kind for r in vomm.ranges] == ["int", "float"]


def test_experiments_key_and_list_form():
    body = {"datasets": ["a.txt"], "models": [{"name": "MarkovModel"}]}
    assert [e.name for e in read_config({"experiments": {"x": body}})] == ["x"]
    assert len(read_config({"experiments": [body, body]})) == 2


def test_distributions_drive_a_search():
    (experiment,) = read_config(SEQLAB)
    spec = experiment.models[1]
    pipe = Pipeline([("enc", StateEncoder()), ("clf", spec.estimator())])
    X = make_markov_sequences(60, n_states=4, random_state=0)
    search = RandomizedSearchCV(
        pipe, spec.param_distributions("clf__"), n_iter=2, cv=2, random_state=0
    )
    assert search.fit(X).best_params_["clf__hidden_dim"] in (8, 16)


def _experiment(c):
    return c["one_to_one"]


def _search(c, i):
    return c["one_to_one"]["models"][i]["optimization_config"]


BAD_CONFIGS = [
    (lambda c: _experiment(c)["models"].append({"name": "GPTModel"}), "unknown model name"),
    (lambda c: _search(c, 1).update(nhead={"values": [2]}), "unknown parameter 'nhead'"),
    (lambda c: _experiment(c).update(kfold_splits=1), "'kfold_splits' must be an integer >= 2"),
    (lambda c: _experiment(c).update(shuffle=True), "unknown key\\(s\\) 'shuffle'"),
    (lambda c: _experiment(c).update(datasets=[]), "'datasets' must be a non-empty list"),
    (lambda c: _experiment(c).update(source_features=["a", "b"]), "many-to-one"),
    (lambda c: _search(c, 0).update(alpha={"min": 2, "max": 1}), "greater than 'max'"),
    (lambda c: _search(c, 0).update(alpha={"min": 1}), "both 'min' and 'max'"),
    (lambda c: _experiment(c)["models"][0].update(params={"alpah": 1}), "parameter 'alpah'"),
    (lambda c: _experiment(c).update(datasets=[{"path": "a.csv"}]), "either 'phrase'"),
    (lambda c: _experiment(c).update(datasets=[{"path": "a", "state": "s"}]), "'sequence'"),
    (lambda c: _experiment(c).update(datasets=[{"phrase": "p"}]), "object with a 'path'"),
    (lambda c: _experiment(c).update(datasets=[{"path": "a", "phrase": "p", "x": 1}]), "'x'"),
]


@pytest.mark.parametrize("edit, match", BAD_CONFIGS)
def test_bad_configs_name_the_key(edit, match):
    config = json.loads(json.dumps(SEQLAB))
    edit(config)
    with pytest.raises(ConfigError, match=match):
        read_config(config)


def test_bad_json_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_config(path)
