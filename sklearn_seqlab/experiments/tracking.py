"""Optional experiment tracking with MLflow (``sklearn-seqlab run --mlflow``).

Records, like SeqLab did, one MLflow run per data set, model and outer fold (the chosen
parameters and every metric) and one run holding the report's files. It talks to the store
through an ``MlflowClient``, so MLflow's global state (active run, tracking URI) is untouched.
"""

import json
from pathlib import Path


class MlflowTracker:
    """Log the runner's results to an MLflow tracking store.

    Parameters
    ----------
    uri : str
        Tracking URI, e.g. ``"sqlite:///results/mlflow.db"`` (a local file) or a server's.
    experiment : str
        MLflow experiment to log into, created if needed.
    artifact_dir : str or path-like, default=None
        Where a new experiment stores its artifacts; MLflow's default when None.
    """

    def __init__(self, uri, experiment, artifact_dir=None):
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise ImportError(
                "--mlflow needs MLflow: pip install mlflow-skinny (or mlflow)"
            ) from exc
        self.client = MlflowClient(tracking_uri=uri)
        found = self.client.get_experiment_by_name(experiment)
        if found is not None:
            self.experiment_id = found.experiment_id
        else:
            location = None if artifact_dir is None else Path(artifact_dir).resolve().as_uri()
            self.experiment_id = self.client.create_experiment(
                experiment, artifact_location=location
            )

    def log_fold(self, row, metrics):
        """One run for a data set, model and fold: its chosen parameters and metrics."""
        tags = {key: str(row[key]) for key in ("experiment", "dataset", "model", "fold")}
        run = self.client.create_run(
            self.experiment_id,
            run_name=f"{row['model']} fold {row['fold']}",
            tags=tags,
        )
        run_id = run.info.run_id
        for name, value in json.loads(row["params"]).items():
            self.client.log_param(run_id, name.removeprefix("clf__"), value)
        for name in (*metrics, "fit_seconds"):
            self.client.log_metric(run_id, name, float(row[name]))
        self.client.set_terminated(run_id)

    def log_report(self, output):
        """One run holding the report's files: summary, results, plots, models, config."""
        run = self.client.create_run(self.experiment_id, run_name="report")
        for path in sorted(Path(output).iterdir()):
            if path.is_file() and path.suffix in {".md", ".csv", ".png", ".json"}:
                self.client.log_artifact(run.info.run_id, str(path))
        models = Path(output) / "models"
        if models.is_dir():
            self.client.log_artifacts(run.info.run_id, str(models), artifact_path="models")
        self.client.set_terminated(run.info.run_id)
        return run.info.run_id
