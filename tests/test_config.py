import json
import os
import runpy
from pathlib import Path

import pytest
from scipy.stats import loguniform
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline

from sklearn_seqlab import NextStateClassifier, StateEncoder
from sklearn_seqlab.augmentation import AugmenterChain, KeyTransposer, SubsequenceAugmenter
from sklearn_seqlab.config import MODELS, ConfigError, read_config
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
    (lambda c: _experiment(c)["models"].append({"name": "GPT3Model"}), "unknown model name"),
    (lambda c: _search(c, 1).update(nhead={"values": [2]}), "unknown parameter 'nhead'"),
    (lambda c: _experiment(c).update(kfold_splits=1), "'kfold_splits' must be an integer >= 2"),
    (lambda c: _experiment(c).update(shuffle=True), "unknown key\\(s\\) 'shuffle'"),
    (lambda c: _experiment(c).update(datasets=[]), "'datasets' must be a non-empty list"),
    (lambda c: _experiment(c).update(source_features=["a", "b"]), "is for many-to-one"),
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


ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "seqlab_example_config.json"
# SeqLab's own example config, beside the checkout (../shared/data) or where SEQLAB_DATA says
SHARED = Path(os.environ.get("SEQLAB_DATA", ROOT.parent / "shared" / "data"))


def test_every_seqlab_model_name_maps():
    modules = {name: MODELS[name]().get_params().get("module") for name in MODELS}
    assert modules == {
        "LSTMModel": "lstm",
        "LSTMModelWithAttention": "attention",
        "TransformerModel": "transformer",
        "GPTModel": "transformer",
        "MarkovModel": None,
        "VariableOrderMarkovModel": None,
        "MultiLSTMModel": "lstm",
        "MultiLSTMAttentionModel": "attention",
        "MultiTransformerModel": "transformer",
        "MultiGPTModel": "transformer",
        "HybridModel": None,  # ours: its networks are LSTMs
    }
    assert MODELS["HybridModel"]().get_params()["network__module"] == "lstm"
    # the runner scores the state that ends each test sequence: the mixture is chosen there
    assert MODELS["HybridModel"]().get_params()["validate_on"] == "last"


def test_hybrid_model_takes_epochs_and_network_parameters():
    (experiment,) = read_config(
        {
            "e": {
                "datasets": ["builtin:chords"],
                "models": [
                    {
                        "name": "HybridModel",
                        "epochs": 7,
                        "params": {"n_networks": 2, "network__hidden_dim": 16},
                        "optimization_config": {"network__lr": {"values": [1e-3, 1e-2]}},
                    }
                ],
            }
        }
    )
    model = experiment.models[0].estimator()
    assert model.n_networks == 2
    assert (model.network.max_epochs, model.network.hidden_dim) == (7, 16)
    with pytest.raises(ConfigError, match="hidden_dim"):
        read_config(
            {
                "e": {
                    "datasets": ["builtin:chords"],
                    "models": [{"name": "HybridModel", "params": {"network__hidden_dim": 0}}],
                }
            }
        )


def check_example(experiments):
    """What SeqLab's example config means, as read here."""
    one, many = experiments
    assert (one.feature_dimensions, many.feature_dimensions) == ("one_to_one", "many_to_one")
    assert [m.name for m in one.models] == [
        "MarkovModel",
        "VariableOrderMarkovModel",
        "LSTMModel",
        "LSTMModelWithAttention",
        "TransformerModel",
        "GPTModel",
    ]
    assert [m.name for m in many.models] == [
        "MultiLSTMModel",
        "MultiLSTMAttentionModel",
        "MultiTransformerModel",
        "MultiGPTModel",
    ]
    specs = {m.name: m for m in one.models + many.models}
    vomm = specs["VariableOrderMarkovModel"]
    assert [r.name for r in vomm.ranges] == ["max_order"]  # SeqLab's max_context_length
    assert set(vomm.ignored) == {"alpha"} and "Kneser-Ney" in vomm.ignored["alpha"]
    transformer = {r.name for r in specs["TransformerModel"].ranges}
    assert {"embedding_dim", "nhead", "num_layers", "dim_feedforward"} <= transformer
    assert specs["GPTModel"].estimator().get_params()["module"] == "transformer"
    assert many.features()[0] == many.target_feature
    assert set(many.features()) == set(many.source_features)
    assert one.features() is None
    for spec in specs.values():  # every model builds, with SeqLab's epochs
        estimator = spec.estimator()
        if "max_epochs" in estimator.get_params():
            assert spec.params["max_epochs"] >= 1


def test_reads_the_example_config_with_its_paths_beside_it():
    experiments = read_config(EXAMPLE)
    check_example(experiments)
    one, many = experiments
    assert one.datasets == [
        str(ROOT / "examples" / "data" / "seqlab_chords_melody.csv"),
        str(ROOT / "examples" / "data" / "seqlab_chords.txt"),
    ]
    assert all(Path(d).exists() for d in one.datasets + many.datasets)
    assert many.features() == ["**harte", "**kern"]


@pytest.mark.skipif(
    not (SHARED / "seqlab_example_config.json").exists(),
    reason="SeqLab's own example config is not on this machine",
)
def test_reads_seqlab_own_example_config():
    """SeqLab's file as it is: only its placeholder data paths and feature names are not
    real, and reading a config does not open the data."""
    check_example(read_config(SHARED / "seqlab_example_config.json"))


def test_example_data_is_what_its_script_writes():
    script = ROOT / "examples" / "data" / "make_seqlab_example_data.py"
    csv_text, txt_text = runpy.run_path(str(script), run_name="example_data")["make"]()
    assert (ROOT / "examples" / "data" / "seqlab_chords_melody.csv").read_text() == csv_text
    assert (ROOT / "examples" / "data" / "seqlab_chords.txt").read_text() == txt_text


def test_relative_paths_are_read_beside_the_config(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("C G\n")
    config = {
        "x": {
            "datasets": ["data/a.txt", "builtin:chords", str(tmp_path / "abs.txt"), "cwd.txt"],
            "test_dataset": {"path": "data/t.tsv", "phrase": "p"},
            "models": [{"name": "MarkovModel"}],
        }
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cwd.txt").write_text("C G\n")
    monkeypatch.chdir(elsewhere)
    (experiment,) = read_config(path)
    assert experiment.datasets == [
        str(tmp_path / "data" / "a.txt"),
        "builtin:chords",
        str(tmp_path / "abs.txt"),
        "cwd.txt",  # not beside the config, but in the working directory, as SeqLab read it
    ]
    assert experiment.test_dataset["path"] == str(tmp_path / "data" / "t.tsv")
    (as_dict,) = read_config(config)  # a dict has no folder: paths stay as written
    assert as_dict.datasets[0] == "data/a.txt"


MANY = {
    "feature_dimensions": "many_to_one",
    "datasets": ["songs.csv"],
    "source_features": ["**kern", "**harte"],
    "target_feature": "**harte",
    "models": [{"name": "MultiLSTMModel"}, {"name": "VariableOrderMarkovModel"}],
}


def test_many_to_one_reads_the_target_first():
    (experiment,) = read_config({"m": MANY})
    assert experiment.features() == ["**harte", "**kern"]
    assert experiment.augmenter() is None


@pytest.mark.parametrize(
    "edit, match",
    [
        ({"feature_dimensions": "many_to_many"}, "'feature_dimensions' must be one of"),
        ({"target_feature": None}, "needs 'target_feature'"),
        ({"source_features": "**harte"}, "needs 'source_features', a list of distinct"),
        ({"source_features": ["**harte", "**harte"]}, "a list of distinct feature names"),
        ({"source_features": ["**kern"]}, "'target_feature' '\\*\\*harte' must be one of"),
        ({"datasets": ["songs.txt"]}, "datasets\\[0\\] 'songs.txt' is not a SeqLab CSV"),
        ({"test_dataset": "test.txt"}, "test_dataset 'test.txt' is not a SeqLab CSV"),
        ({"augment_by_key": True}, "cannot transpose"),
        ({"augment_by_subsequences": "yes"}, "'augment_by_subsequences' must be true or false"),
        ({"normalize_chords": "sevenths"}, "'normalize_chords' must be true, false or a level"),
        ({"target_feature": 3}, "'target_feature' must be a feature name"),
    ],
)
def test_bad_many_to_one_experiments(edit, match):
    with pytest.raises(ConfigError, match=match):
        read_config({"m": {**MANY, **edit}})


@pytest.mark.parametrize(
    "model, match",
    [
        ({"name": "MultiGPTModel"}, "models\\[0\\] \\(MultiGPTModel\\) predicts from several"),
        (
            {"name": "TransformerModel", "optimization_config": {"nhead": {"values": [2, 3]}}},
            "nhead holds 3: embedding_dim=128 must be a multiple of nhead=3",
        ),
        (  # each value fits the defaults (nhead 4, embedding 128), not every pair
            {
                "name": "TransformerModel",
                "optimization_config": {
                    "nhead": {"values": [4, 8]},
                    "embed_size": {"values": [128, 12]},
                },
            },
            "nhead=8 does not divide embedding_dim=12",
        ),
        (
            {
                "name": "TransformerModel",
                "params": {"embedding_dim": 16},
                "optimization_config": {"embed_size": {"values": [8]}},
            },
            "parameter 'embedding_dim' is given twice \\(as 'embed_size'\\)",
        ),
        ({"name": "LSTMModel", "params": {"dim_feedforward": 8}}, "unknown parameter"),
        ({"name": "MarkovModel", "params": {"embed_size": 8}}, "unknown parameter 'embed_size'"),
    ],
)
def test_bad_models(model, match):
    config = {"x": {"datasets": ["a.txt"], "models": [model]}}
    with pytest.raises(ConfigError, match=match):
        read_config(config)


def test_aliases_and_fixed_params():
    models = [
        {"name": "TransformerModel", "params": {"embed_size": 16, "nhead": 2}, "epochs": 3},
        {"name": "VariableOrderMarkovModel", "params": {"max_context_length": 2, "alpha": 1}},
    ]
    transformer, vomm = read_config({"x": {"datasets": ["a.txt"], "models": models}})[0].models
    assert transformer.estimator().get_params()["embedding_dim"] == 16
    assert transformer.params == {"max_epochs": 3, "embedding_dim": 16, "nhead": 2}
    assert vomm.estimator().max_order == 2 and set(vomm.ignored) == {"alpha"}


@pytest.mark.parametrize(
    "options, kind",
    [
        ({}, type(None)),
        ({"augment_by_key": True}, KeyTransposer),
        ({"augment_by_subsequences": True}, SubsequenceAugmenter),
        ({"augment_by_key": True, "augment_by_subsequences": True}, AugmenterChain),
    ],
)
def test_augmentation_options(options, kind):
    body = {"datasets": ["a.txt"], "models": [{"name": "MarkovModel"}], **options}
    (experiment,) = read_config({"x": body})
    assert isinstance(experiment.augmenter(), kind)
    assert experiment.encoder().get_params()["augment"].__class__ is kind
    if kind is AugmenterChain:  # transposed first, then cut into subsequences
        chain = experiment.augmenter().augmenters
        assert [type(a) for a in chain] == [KeyTransposer, SubsequenceAugmenter]


@pytest.mark.parametrize("option, level", [(True, "seventh"), ("root", "root"), (False, False)])
def test_normalize_chords(option, level):
    body = {"datasets": ["a.txt"], "models": [{"name": "MarkovModel"}]}
    (experiment,) = read_config({"x": {**body, "normalize_chords": option}})
    assert experiment.normalize_chords == level
    sequences = [["C:maj7/3", "Db:min7", "N"]]
    expected = {
        "seventh": [["C:maj7", "Db:min7", "N"]],
        "root": [["C", "Db", "N"]],
        False: sequences,
    }[level]
    assert experiment.prepare(sequences) == expected


def test_augment_by_key_spells_the_data_as_its_copies():
    # the copies spell B flat "Bb"; data spelling it "B-" (SeqLab's CSVs) or "A#" must join
    # them, or one chord becomes two states; nothing else about a chord changes
    body = {"datasets": ["a.txt"], "models": [{"name": "MarkovModel"}], "augment_by_key": True}
    (experiment,) = read_config({"x": body})
    sequences = [["B-:maj", "A#:min7/b7", "F:maj", "N"]]
    assert experiment.prepare(sequences) == [["Bb:maj", "Bb:min7/b7", "F:maj", "N"]]
    copies = experiment.augmenter()([["F:maj", "C:maj"]])[0]
    assert ["Bb:maj", "F:maj"] in copies
    assert sequences == [["B-:maj", "A#:min7/b7", "F:maj", "N"]]  # the input is not changed
