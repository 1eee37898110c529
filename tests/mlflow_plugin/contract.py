"""MlflowClient's experiment, run and registry methods over the gittrack store; prints a
JSON summary of what each answered (tests/test_mlflow_plugin_contract.py checks it)."""

import json
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

client = MlflowClient()
out = {}

# experiments: create, get, by name, search with paging, tags, rename, delete, restore
ids = [client.create_experiment(f"exp-{i}", tags={"i": str(i)}) for i in range(3)]
out["ids"] = ids
out["get"] = client.get_experiment(ids[0]).name
out["by_name"] = client.get_experiment_by_name("exp-1").experiment_id
out["missing"] = client.get_experiment_by_name("nope") is None
page = client.search_experiments(max_results=2, order_by=["name ASC"])
rest = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=page.token)
out["pages"] = [[e.name for e in page], [e.name for e in rest]]
out["filtered"] = [e.name for e in client.search_experiments(filter_string="tags.i = '2'")]
client.set_experiment_tag(ids[0], "team", "a")
client.delete_experiment_tag(ids[0], "i")
out["exp_tags"] = client.get_experiment(ids[0]).tags
try:
    client.create_experiment("exp-0")
except MlflowException as exc:
    out["duplicate"] = exc.error_code
client.rename_experiment(ids[2], "exp-two")
out["renamed"] = client.get_experiment_by_name("exp-two") is not None
client.delete_experiment(ids[1])
out["deleted_stage"] = client.get_experiment(ids[1]).lifecycle_stage
out["deleted_listed"] = [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
client.restore_experiment(ids[1])
out["restored_stage"] = client.get_experiment(ids[1]).lifecycle_stage

# runs: create, params/metrics/tags, update, terminate, delete, restore, search, history, parent
exp = ids[0]
runs = []
for i in range(5):
    run = client.create_run(exp, run_name=f"r{i}", tags={"k": "even" if i % 2 == 0 else "odd"})
    client.log_param(run.info.run_id, "i", i)
    for step in range(3):
        client.log_metric(run.info.run_id, "m", i * 10 + step, step=step, timestamp=1000 + step)
    client.set_terminated(run.info.run_id)
    runs.append(run.info.run_id)
child = client.create_run(exp, run_name="child", tags={"mlflow.parentRunId": runs[0]})
client.set_terminated(child.info.run_id, "FAILED")
out["child_status"] = client.get_run(child.info.run_id).info.status
out["parent"] = client.get_parent_run(child.info.run_id).info.run_id == runs[0]
client.update_run(runs[1], name="renamed")
out["renamed_run"] = client.get_run(runs[1]).info.run_name
history = client.get_metric_history(runs[2], "m")
out["history"] = [[m.step, m.value, m.timestamp] for m in history]
found = client.search_runs([exp], "metrics.m > 15 and tags.k = 'even'", order_by=["metrics.m DESC"])
out["search"] = [r.info.run_name for r in found]
first = client.search_runs([exp], "", max_results=2, order_by=["attributes.run_name ASC"])
by_name = ["attributes.run_name ASC"]
second = client.search_runs([exp], "", max_results=2, order_by=by_name, page_token=first.token)
out["run_pages"] = [[r.info.run_name for r in first], [r.info.run_name for r in second]]
client.delete_run(runs[4])
out["after_delete"] = len(client.search_runs([exp]))
deleted = client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)
out["deleted_runs"] = [r.info.run_name for r in deleted]
client.restore_run(runs[4])
out["after_restore"] = len(client.search_runs([exp]))
with mlflow.start_run(run_id=runs[3]):  # resumed: this process writes it again
    mlflow.log_metric("m", 99, step=3)
    out["resumed_live"] = client.get_run(runs[3]).info.status
out["resumed"] = [client.get_run(runs[3]).info.status, len(client.get_metric_history(runs[3], "m"))]
client.set_tag(runs[3], "x", "1")
client.delete_tag(runs[3], "x")
out["tag_deleted"] = "x" not in client.get_run(runs[3]).data.tags
try:
    client.get_run("20990101-000000-000000000000")
except MlflowException as exc:
    out["missing_run"] = exc.error_code

# registry: models, versions, stages, aliases, tags, search, rename, delete
with mlflow.start_run(experiment_id=exp) as model_run:
    mlflow.log_text("x", "model/MLmodel")
rid = model_run.info.run_id
client.create_registered_model("reg", tags={"t": "1"}, description="first")
v1 = client.create_model_version("reg", f"runs:/{rid}/model", rid)
v2 = client.create_model_version("reg", f"runs:/{rid}/model", rid, tags={"v": "2"})
out["versions"] = [v1.version, v2.version, v1.source, v2.tags]
client.update_registered_model("reg", description="second")
client.set_registered_model_tag("reg", "owner", "me")
client.delete_registered_model_tag("reg", "t")
client.update_model_version("reg", "1", description="v1 desc")
client.set_model_version_tag("reg", "1", "q", "good")
client.delete_model_version_tag("reg", "2", "v")
client.transition_model_version_stage("reg", "1", "Production")
client.set_registered_model_alias("reg", "best", "2")
model = client.get_registered_model("reg")
out["model"] = [model.description, model.tags, model.aliases, [v.version for v in model.latest_versions]]
out["latest_prod"] = [v.version for v in client.get_latest_versions("reg", ["Production"])]
out["by_alias"] = client.get_model_version_by_alias("reg", "best").version
out["v1"] = [client.get_model_version("reg", "1").description, client.get_model_version("reg", "1").tags]
out["download"] = client.get_model_version_download_uri("reg", "1")
out["search_models"] = [m.name for m in client.search_registered_models("name LIKE 're%'")]
out["search_versions"] = sorted(v.version for v in client.search_model_versions(f"run_id = '{rid}'"))
client.delete_registered_model_alias("reg", "best")
client.delete_model_version("reg", "2")
out["after_version_delete"] = sorted(v.version for v in client.search_model_versions("name = 'reg'"))
client.rename_registered_model("reg", "reg2")
out["renamed_model"] = client.get_registered_model("reg2").name
client.delete_registered_model("reg2")
try:
    client.get_registered_model("reg2")
except MlflowException as exc:
    out["model_gone"] = exc.error_code
out["time"] = time.time()
print(json.dumps(out))
