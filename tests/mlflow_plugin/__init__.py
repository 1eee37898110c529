"""Scripts that tests/test_mlflow_plugin*.py run under MLflow's interpreter (bench/.venv)."""
