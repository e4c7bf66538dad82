"""The Processing provider against a live local engine: a whole v1 job through `processing.run` (create → analyse →
start → wait → load outputs), a preview GeoTIFF, clear errors for bad parameters, a wait that stops at once when
cancelled, and `qgis_process` running the algorithms from the command line with the plugin in a profile."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsLayerTreeModel,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
)
from qgis.gui import QgsLayerTreeView
from qgis.PyQt.QtCore import QSettings
from testkit import TEST_BBOX, TEST_CLIENT_ID, TEST_CLIENT_SECRET

from tilewise.core.connections import ConnectionStore
from tilewise.core.presets import builtin_preset
from tilewise.processing_provider import TilewiseProvider

from .conftest import TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA, polygon_layer

REPO = Path(__file__).resolve().parents[2]
ALGORITHM_IDS = {
    "tilewise:createbatchjob",
    "tilewise:analysebatchjob",
    "tilewise:startbatchjob",
    "tilewise:waitforbatchjob",
    "tilewise:loadbatchoutputs",
    "tilewise:previewevalscript",
}
FIELD_STATISTICS_IDS = {"tilewise:fieldstatistics"}  # its own group, tested on its own
NDVI = builtin_preset("NDVI").script
EXTENT_4326 = f"{TEST_BBOX[0]},{TEST_BBOX[2]},{TEST_BBOX[1]},{TEST_BBOX[3]} [EPSG:4326]"


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.errors: list[str] = []
        self.texts: list[str] = []
        self.warnings: list[str] = []
        self.progress: list[float] = []
        self.progressChanged.connect(self.progress.append)

    def setProgressText(self, text):  # noqa: N802 (QGIS API)
        self.texts.append(text)
        super().setProgressText(text)

    def pushWarning(self, warning):  # noqa: N802 (QGIS API)
        self.warnings.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS API)
        self.errors.append(error)
        super().reportError(error, fatalError)


@pytest.fixture(scope="module")
def processing(qgis_app):
    plugins = str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins")  # QGIS's own `processing` plugin
    if plugins not in sys.path:
        sys.path.append(plugins)
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing

    return processing


@pytest.fixture(scope="module")
def store(engine, tmp_path_factory) -> ConnectionStore:
    folder = tmp_path_factory.mktemp("processing-settings")
    store = ConnectionStore(QgsSettings(str(folder / "connections.ini"), QSettings.Format.IniFormat))
    deployment = store.add_custom("Test engine", engine.url)
    store.save_credentials(deployment.id, TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    store.set_current(deployment.id)
    store.set_api_version(deployment.id, 1)
    return store


@pytest.fixture(scope="module")
def provider(processing, store):
    registry = QgsApplication.processingRegistry()
    if registry.providerById("tilewise") is not None:  # a plugin instance another test left loaded
        registry.removeProvider(registry.providerById("tilewise"))
    provider = TilewiseProvider(lambda: store)
    assert registry.addProvider(provider)
    yield provider
    registry.removeProvider(provider)


@pytest.fixture
def connection(store) -> dict:
    return {"DEPLOYMENT": store.current_id(), "API_VERSION": "v1"}


@pytest.fixture(scope="module")
def s3_keys(store, s3_server) -> str:
    """The local S3 server's keys as a Basic authentication configuration (what S3_AUTHCFG names)."""
    return store.save_s3_keys("processing test", s3_server.access_key, s3_server.secret_key)


def run(processing, algorithm: str, parameters: dict, feedback=None, context=None) -> dict:
    feedback = feedback or RecordingFeedback()
    context = context or QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run(algorithm, parameters, feedback=feedback, context=context)


def failure(processing, algorithm: str, parameters: dict) -> str:
    """The message of the QgsProcessingException that the algorithm raises (processing.run lets it through)."""
    feedback = RecordingFeedback()
    with pytest.raises(QgsProcessingException) as caught:
        run(processing, algorithm, parameters, feedback)
    return "\n".join([str(caught.value), *feedback.errors])


def job_parameters(connection, layer, url: str, **changes) -> dict:
    parameters = {
        **connection,
        "INPUT": QgsProcessingFeatureSourceDefinition(layer.id(), True),  # the selected features only
        "EVALSCRIPT": NDVI,
        "COLLECTION": "sentinel-2-l2a",
        "TIME_FROM": "2023-07-01",
        "TIME_TO": "2023-07-30",
        "MOSAICKING_ORDER": "mostRecent",
        "GRID": 1,
        "RESOLUTION": 10.0,
        "OUTPUT_URL": url,
        "DESCRIPTION": "processing test",
    }
    parameters.update(changes)
    return parameters


@pytest.fixture
def sub_area(qgis_new_project):
    layer = polygon_layer([TUTORIAL_ENTIRE_AREA, TUTORIAL_TEST_SUB_AREA], name="california_crop_fields")
    layer.selectByIds([2])  # the test sub-area: two tiles of grid 1
    return layer


def real_values(source: str) -> np.ndarray:
    dataset = gdal.Open(source)
    assert dataset is not None, gdal.GetLastErrorMsg()
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray().astype("float64")
    nodata = band.GetNoDataValue()
    valid = values[np.isfinite(values) & ((values != nodata) if nodata is not None else True)]
    return valid


# --- the provider -----------------------------------------------------------------------------------------


def test_the_plugin_registers_the_provider_for_processing_and_removes_it_on_unload(processing):
    """What QGIS (and qgis_process) do with a plugin whose metadata says hasProcessingProvider=yes."""
    import importlib
    from configparser import ConfigParser

    metadata = ConfigParser()
    metadata.read(REPO / "metadata.txt")
    assert metadata["general"]["hasProcessingProvider"] == "yes"
    registry = QgsApplication.processingRegistry()
    plugin = importlib.import_module("tilewise").classFactory(None)  # qgis_process has no iface
    plugin.initProcessing()
    plugin.initProcessing()  # idempotent: initGui calls it too
    assert registry.providerById("tilewise") is plugin.provider
    assert {a.id() for a in plugin.provider.algorithms()} == ALGORITHM_IDS | FIELD_STATISTICS_IDS
    plugin.unload()
    assert registry.providerById("tilewise") is None and plugin.provider is None


def test_the_provider_lists_its_algorithms_in_one_group(provider, store):
    ids = {a.id() for a in provider.algorithms()}
    assert ids == ALGORITHM_IDS | FIELD_STATISTICS_IDS
    assert {a.group() for a in provider.algorithms() if a.id() in ALGORITHM_IDS} == {"Batch jobs"}
    create = QgsApplication.processingRegistry().algorithmById("tilewise:createbatchjob")
    deployment = create.parameterDefinition("DEPLOYMENT")
    assert store.current_id() in deployment.options() and deployment.usesStaticStrings()
    assert deployment.defaultValue() == store.current_id()
    assert create.parameterDefinition("API_VERSION").options() == ["v2", "v1"]
    names = {p.name() for p in create.parameterDefinitions()}
    assert not names & {"CLIENT_ID", "CLIENT_SECRET", "PASSWORD"}  # credentials come from the store only
    # chainable: each job algorithm takes the JOB_ID that the previous one outputs
    for algorithm in (a for a in provider.algorithms() if a.id() in ALGORITHM_IDS):
        if algorithm.id() not in ("tilewise:createbatchjob", "tilewise:previewevalscript"):
            assert algorithm.parameterDefinition("JOB_ID") is not None
        if algorithm.id() != "tilewise:previewevalscript":
            assert algorithm.outputDefinition("JOB_ID").type() == "outputString"


# --- a whole job ------------------------------------------------------------------------------------------


def test_a_whole_v1_job_from_create_to_loaded_outputs(
    processing, provider, connection, sub_area, bucket, s3_keys, tmp_path, qgis_iface, monkeypatch
):
    created = run(
        processing, "tilewise:createbatchjob", job_parameters(connection, sub_area, f"s3://{bucket}/proc")
    )
    job_id = created["JOB_ID"]
    assert created["STATUS"] == "CREATED" and created["TILE_COUNT"] == 2
    assert json.loads(created["JOB_JSON"])["id"] == job_id

    analysed = run(processing, "tilewise:analysebatchjob", {**connection, "JOB_ID": job_id})
    assert analysed["STATUS"] == "ANALYSIS_DONE" and analysed["TILE_COUNT"] == 2
    assert analysed["ESTIMATED_PU"] > 0

    # a budget below the estimate refuses to start
    budget = {**connection, "JOB_ID": job_id, "BUDGET_PU": 0.001}
    assert "more than the budget of" in failure(processing, "tilewise:startbatchjob", budget)

    started = run(processing, "tilewise:startbatchjob", {**connection, "JOB_ID": analysed["JOB_ID"],
                                                         "BUDGET_PU": 1e6})  # fmt: skip
    assert started["STATUS"] in ("PROCESSING", "DONE")

    feedback = RecordingFeedback()
    waited = run(processing, "tilewise:waitforbatchjob",
                 {**connection, "JOB_ID": started["JOB_ID"], "TIMEOUT": 150, "REQUIRE_DONE": True}, feedback)  # fmt: skip
    assert waited["STATUS"] == "DONE" and waited["DONE"] == 2 and waited["FAILED"] == 0
    assert feedback.progress and feedback.progress[-1] == 100

    # mosaics: a VRT per output in the folder, loaded by Processing on completion
    context = QgsProcessingContext()
    loaded = run(processing, "tilewise:loadbatchoutputs",
                 {**connection, "JOB_ID": job_id, "MODE": 0, "S3_AUTHCFG": s3_keys, "OUTPUT_FOLDER": str(tmp_path / "mosaics")},
                 context=context)  # fmt: skip
    assert loaded["LAYER_COUNT"] == 1 and loaded["PROBLEMS"] == ""
    (vrt,) = loaded["OUTPUT_LAYERS"]
    assert vrt.endswith(".vrt") and Path(vrt).parent == tmp_path / "mosaics"
    (loading,) = context.layersToLoadOnCompletion()  # a layer in the context's store, on the VRT
    layer = context.temporaryLayerStore().mapLayer(loading)
    assert layer.source() == vrt and layer.isValid() and layer.crs().authid() == "EPSG:32611"
    values = real_values(vrt)
    assert values.size > 1000 and -1 <= values.min() < values.max() <= 1  # NDVI, not a constant

    # a layer per tile, opened in place (/vsis3/), and Processing's own loading adds them to the project
    context = QgsProcessingContext()
    tiles = run(processing, "tilewise:loadbatchoutputs",
                {**connection, "JOB_ID": job_id, "MODE": 1, "S3_AUTHCFG": s3_keys, "OUTPUT_FOLDER": str(tmp_path / "unused")},
                context=context)  # fmt: skip
    assert tiles["LAYER_COUNT"] == 2
    assert all(p.startswith(f"/vsis3/{bucket}/proc/") for p in tiles["OUTPUT_LAYERS"])
    from processing.gui.Postprocessing import handleAlgorithmResults

    # QGIS 3.40+ places the loaded layers through the main window's layer tree view, which pytest-qgis's
    # stand-in interface lacks: give it a real one on the project's tree.
    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(QgsProject.instance().layerTreeRoot()))
    monkeypatch.setattr(qgis_iface, "layerTreeView", lambda: view, raising=False)
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("tilewise:loadbatchoutputs")
    # (QGIS 3.36 dropped the showResults argument; parameters kept its name)
    show = (
        {"showResults": False}
        if "showResults" in inspect.signature(handleAlgorithmResults).parameters
        else {}
    )
    assert handleAlgorithmResults(algorithm, context, RecordingFeedback(), parameters={}, **show)
    shown = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.source() in tiles["OUTPUT_LAYERS"]
    ]
    assert len(shown) == 2
    for tile_layer in shown:
        assert tile_layer.isValid() and tile_layer.crs().authid() == "EPSG:32611"
        assert tile_layer.renderer().type() == "singlebandpseudocolor"  # the dock's style, set on loading
        assert real_values(tile_layer.source()).size > 100
    QgsProject.instance().removeMapLayers([lyr.id() for lyr in shown])


def test_a_preview_is_a_geotiff_of_the_extent(processing, provider, connection, tmp_path):
    target = tmp_path / "preview.tif"
    result = run(processing, "tilewise:previewevalscript", {
        **connection, "EXTENT": EXTENT_4326, "EVALSCRIPT": "NDVI", "TIME_FROM": "2023-07-01",
        "TIME_TO": "2023-07-30", "WIDTH": 200, "OUTPUT": str(target)})  # fmt: skip
    assert result["OUTPUT"] == str(target)
    layer = QgsRasterLayer(str(target), "preview")
    assert layer.isValid() and layer.width() == 200 and layer.height() == 126
    assert layer.crs().authid() in ("EPSG:4326", "OGC:CRS84")
    values = real_values(str(target))
    assert values.size > 1000 and values.min() < values.max()


def test_the_algorithms_chain_in_a_model(processing, provider, connection, sub_area, bucket, engine):
    """A Graphical Modeler model: create → analyse → start → wait, each step's JOB_ID fed by the previous one."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
    )

    static = QgsProcessingModelChildParameterSource.fromStaticValue
    model = QgsProcessingModelAlgorithm("Batch job chain", "tests")
    previous = None
    for step, extra in (
        ("createbatchjob", job_parameters(connection, sub_area, f"s3://{bucket}/model", DESCRIPTION="model")),
        ("analysebatchjob", connection),
        ("startbatchjob", {**connection, "BUDGET_PU": 1e6}),
        ("waitforbatchjob", {**connection, "TIMEOUT": 150}),
    ):
        child = QgsProcessingModelChildAlgorithm(f"tilewise:{step}")
        child.setChildId(step)
        for name, value in extra.items():
            child.addParameterSources(name, [static(value)])
        if previous is not None:
            source = QgsProcessingModelChildParameterSource.fromChildOutput(previous, "JOB_ID")
            child.addParameterSources("JOB_ID", [source])
        model.addChildAlgorithm(child)
        previous = step
    run(processing, model, {})
    jobs = engine.call("GET", "/api/v1/batch/process", params={"count": 100}).json()["data"]
    (job,) = [j for j in jobs if j.get("description") == "model"]
    assert job["status"] == "DONE"


# --- errors -----------------------------------------------------------------------------------------------


def test_bad_parameters_fail_with_the_dock_s_messages_and_send_nothing(
    processing, provider, connection, sub_area, engine
):
    before = len(engine.call("GET", "/api/v1/batch/process", params={"count": 100}).json()["data"])
    broken = NDVI.replace("return [", "return [[", 1)
    parameters = job_parameters(connection, sub_area, "ftp://host/x", EVALSCRIPT=broken, TIME_FROM="2023-07-30",
                                TIME_TO="2023-07-01", GRID=42)  # fmt: skip
    message = failure(processing, "tilewise:createbatchjob", parameters)
    assert "evalscript line" in message
    assert "before it starts" in message and "swap the dates" in message
    assert "Unsupported output location 'ftp://host/x'" in message
    assert "Unknown tiling grid 42" in message
    assert len(engine.call("GET", "/api/v1/batch/process", params={"count": 100}).json()["data"]) == before

    # an unknown job and a deployment without credentials are said as such
    message = failure(processing, "tilewise:analysebatchjob", {**connection, "JOB_ID": "no-such-job"})
    assert "no-such-job" in message or "not found" in message.lower(), message
    message = failure(
        processing,
        "tilewise:analysebatchjob",
        {"DEPLOYMENT": "sentinel-hub-eu", "API_VERSION": "v1", "JOB_ID": "x"},
    )
    assert "No client id and secret are set up" in message, message


def test_cancelling_a_wait_returns_at_once(processing, provider, connection, sub_area, bucket):
    created = run(
        processing, "tilewise:createbatchjob", job_parameters(connection, sub_area, f"s3://{bucket}/idle")
    )
    run(processing, "tilewise:analysebatchjob", {**connection, "JOB_ID": created["JOB_ID"]})
    feedback = RecordingFeedback()
    timer = threading.Timer(1.5, feedback.cancel)  # the Cancel button, while the job waits to be started
    timer.start()
    began = time.monotonic()
    try:
        waited = run(
            processing, "tilewise:waitforbatchjob", {**connection, "JOB_ID": created["JOB_ID"]}, feedback
        )
    finally:
        timer.cancel()
    assert time.monotonic() - began < 4
    assert waited["STATUS"] == "ANALYSIS_DONE"


def test_in_a_background_task_as_the_toolbox_runs_it_cancel_stops_the_wait(
    processing, provider, connection, sub_area, bucket, tmp_path
):
    """The Toolbox prepares on the main thread and runs processAlgorithm in a QgsTask; Cancel is pressed on the
    main thread while the task's thread waits."""
    from qgis.core import QgsProcessingAlgRunnerTask, QgsTask

    from .conftest import wait_until

    created = run(
        processing, "tilewise:createbatchjob", job_parameters(connection, sub_area, f"s3://{bucket}/task")
    )
    registry = QgsApplication.processingRegistry()
    context, feedback = QgsProcessingContext(), RecordingFeedback()
    algorithm = registry.createAlgorithmById("tilewise:waitforbatchjob")
    task = QgsProcessingAlgRunnerTask(
        algorithm, {**connection, "JOB_ID": created["JOB_ID"]}, context, feedback
    )
    ended = []
    task.executed.connect(lambda ok, results: ended.append((ok, results)))
    QgsApplication.taskManager().addTask(task)
    wait_until(lambda: task.status() == QgsTask.TaskStatus.Running and feedback.texts, 30)
    began = time.monotonic()
    feedback.cancel()
    wait_until(lambda: ended, 10)
    assert time.monotonic() - began < 3
    wait_until(lambda: QgsApplication.taskManager().count() == 0, 10)  # context and feedback outlive the task
    ok, _ = ended[0]
    assert not ok  # QgsProcessingAlgRunnerTask reports a cancelled run as not successful
    assert any("Stopped waiting" in text for text in feedback.warnings), feedback.warnings


# --- qgis_process -----------------------------------------------------------------------------------------


def qgis_process_binary() -> str:
    # Debian's /usr/bin/qgis_process wrapper adds QGIS_OPTS from /etc/default/qgis (--noversioncheck), which the
    # 3.22 qgis_process rejects ("Command --noversioncheck not known!"): call the binary it wraps.
    for name in ("qgis_process.bin", "qgis_process"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("qgis_process is not installed")


@pytest.fixture(scope="module")
def qgis_profile(engine, tmp_path_factory):
    """A profile folder as `make run` prepares it (scripts/prepare_profile.py, in its own process): the plugin
    linked in and enabled, the engine's credentials in the profile's auth DB, the engine the current deployment."""
    root = tmp_path_factory.mktemp("qgis-profiles")
    password = root / "master-password"
    env = dict(os.environ, TILEWISE_CLIENT_ID=TEST_CLIENT_ID, TILEWISE_CLIENT_SECRET=TEST_CLIENT_SECRET)
    env.pop("QGIS_AUTH_DB_DIR_PATH", None)
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "prepare_profile.py"), "--profiles-dir", str(root),
         "--profile", "default", "--plugin-dir", str(REPO), "--master-password-file", str(password),
         "--engine-url", engine.url],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    profile = root / "profiles" / "default"
    assert (profile / "python" / "plugins" / "tilewise").resolve() == REPO.resolve()
    environment = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(root), QGIS_AUTH_PASSWORD_FILE=str(password),
                       QT_QPA_PLATFORM="offscreen")  # fmt: skip
    environment.pop("QGIS_AUTH_DB_DIR_PATH", None)  # the profile's own qgis-auth.db
    site = sysconfig.get_paths()["purelib"]  # the venv's own packages (shapely 2)
    environment["PYTHONPATH"] = os.pathsep.join([site, environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return environment


def qgis_process(environment, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([qgis_process_binary(), *args], capture_output=True, text=True, env=environment,
                          timeout=timeout)  # fmt: skip


def test_qgis_process_lists_and_runs_the_algorithms(qgis_profile, engine, tmp_path):
    listed = qgis_process(qgis_profile, "list")
    assert listed.returncode == 0, listed.stderr[-3000:]
    for algorithm in ALGORITHM_IDS:
        assert algorithm in listed.stdout, listed.stdout[-3000:] + listed.stderr[-3000:]

    target = tmp_path / "cli-preview.tif"
    ran = qgis_process(
        qgis_profile, "run", "tilewise:previewevalscript", "--json", "--",
        "API_VERSION=v1", f"EXTENT={EXTENT_4326}", "EVALSCRIPT=NDVI", "TIME_FROM=2023-07-01",
        "TIME_TO=2023-07-30", "WIDTH=100", f"OUTPUT={target}",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    results = json.loads(ran.stdout[ran.stdout.index("{") :])["results"]
    assert results["OUTPUT"] == str(target)
    assert real_values(str(target)).size > 1000

    # createbatchjob from the command line: the deployment's default comes from the profile (the engine)
    layer = tmp_path / "area.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[
            [TEST_BBOX[0], TEST_BBOX[1]], [TEST_BBOX[2], TEST_BBOX[1]], [TEST_BBOX[2], TEST_BBOX[3]],
            [TEST_BBOX[0], TEST_BBOX[3]], [TEST_BBOX[0], TEST_BBOX[1]]]]}}]}))  # fmt: skip
    ran = qgis_process(
        qgis_profile, "run", "tilewise:createbatchjob", "--json", "--", "API_VERSION=v1", f"INPUT={layer}",
        "EVALSCRIPT=NDVI", "TIME_FROM=2023-07-01", "TIME_TO=2023-07-30", "GRID=1", "RESOLUTION=10",
        f"OUTPUT_URL={engine.output_root / 'cli'}", "DESCRIPTION=from qgis_process",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    job_id = json.loads(ran.stdout[ran.stdout.index("{") :])["results"]["JOB_ID"]
    body = engine.call("GET", f"/api/v1/batch/process/{job_id}").json()
    assert body["status"] == "CREATED" and body["description"] == "from qgis_process"
    assert body["output"]["defaultTilePath"].startswith((engine.output_root / "cli").as_uri())

    # …and the rest of the job, one qgis_process call per step, chained on JOB_ID as a shell script would
    def step(algorithm: str, *args: str) -> dict:
        done = qgis_process(
            qgis_profile, "run", algorithm, "--json", "--", "API_VERSION=v1", *args, timeout=300
        )
        assert done.returncode == 0, algorithm + done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout[done.stdout.index("{") :])["results"]

    analysed = step("tilewise:analysebatchjob", f"JOB_ID={job_id}")
    assert analysed["TILE_COUNT"] == 2 and analysed["ESTIMATED_PU"] > 0
    step("tilewise:startbatchjob", f"JOB_ID={job_id}")
    waited = step("tilewise:waitforbatchjob", f"JOB_ID={job_id}")
    assert waited["STATUS"] == "DONE" and waited["DONE"] == 2
    loaded = step(
        "tilewise:loadbatchoutputs", f"JOB_ID={job_id}", "MODE=0", f"OUTPUT_FOLDER={tmp_path / 'vrt'}"
    )
    assert loaded["LAYER_COUNT"] == 1 and Path(loaded["OUTPUT_LAYERS"][0]).is_file()
    assert real_values(loaded["OUTPUT_LAYERS"][0]).size > 1000
