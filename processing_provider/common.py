"""What the Tilewise algorithms share: the deployment and API version parameters, a client made on the main
thread (credentials come from the ConnectionStore, i.e. QgsAuthManager, never from parameters), the job
form's fields as parameters turned into a core.job_form.JobDraft, cancellation and error messages."""

from __future__ import annotations

import contextlib
import time
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Optional

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterAuthConfig,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsSettings,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt

from ..core.area import AreaError
from ..core.batch_models import TilingGridSpec
from ..core.client import BatchClient
from ..core.connections import ConnectionStore, CredentialsError, is_local_engine
from ..core.crs import CrsError
from ..core.deployments import BUILTIN, DeploymentError
from ..core.grids import GridError
from ..core.http import Cancel, Cancelled, ServiceError
from ..core.job_form import COLLECTIONS, MOSAICKING_ORDERS, FieldProblem, FormInvalid, JobDraft
from ..core.jobs import BatchJob
from ..core.presets import BUILTIN_PRESETS
from ..core.statuses import V1, V2
from ..core.storage import S3Access, StorageError
from ..ui.i18n import tr
from .help import help_text

StoreFactory = Callable[[], ConnectionStore]
GROUP_ID = "batchjobs"
VERSIONS = ("v2", "v1")
# the dock keeps the engine's S3 endpoint here (ui/dock.py ENGINE_S3_ENDPOINT_KEY) + the deployment id
ENGINE_S3_ENDPOINT_KEY = "tilewise/engine_s3_endpoint/"

# parameter names shared by several algorithms
DEPLOYMENT, API_VERSION, JOB_ID, S3_AUTHCFG, S3_REGION = (
    "DEPLOYMENT",
    "API_VERSION",
    "JOB_ID",
    "S3_AUTHCFG",
    "S3_REGION",
)
EVALSCRIPT, EVALSCRIPT_FILE, COLLECTION = "EVALSCRIPT", "EVALSCRIPT_FILE", "COLLECTION"
TIME_FROM, TIME_TO, MAX_CLOUD, MOSAICKING = "TIME_FROM", "TIME_TO", "MAX_CLOUD_COVER", "MOSAICKING_ORDER"

# exceptions whose message is already written for the user
USER_ERRORS = (ServiceError, StorageError, CredentialsError, DeploymentError, AreaError, GridError, CrsError,
               TimeoutError)  # fmt: skip


def problems_message(problems) -> str:
    """FormInvalid's problems as the dock shows them: one sentence each, the script line where known."""
    lines = []
    for problem in problems:
        lines.append(
            tr("{message} (evalscript line {line})").format(message=problem.message, line=problem.line)
            if problem.line
            else problem.message
        )
    return "\n".join(lines)


class TilewiseAlgorithm(QgsProcessingAlgorithm):
    """A Tilewise algorithm: the client is made in prepareAlgorithm (main thread: QGIS may ask for its master
    password), used in processAlgorithm (a background thread from the Toolbox)."""

    NAME = ""  # and each algorithm's displayName(): tr("a literal"), so that scripts/i18n.py finds it

    def __init__(self, store_factory: Optional[StoreFactory] = None):
        super().__init__()
        self.store_factory = store_factory
        self.client: Optional[BatchClient] = None
        self.s3_keys: tuple[Optional[str], Optional[str]] = (None, None)
        self.engine_endpoint_setting: Optional[str] = None

    # --- QgsProcessingAlgorithm ----------------------------------------------------------------------

    def createInstance(self):  # noqa: N802 (QGIS API)
        return type(self)(self.store_factory)

    def name(self) -> str:
        return self.NAME

    def group(self) -> str:
        return tr("Batch jobs")

    def groupId(self) -> str:  # noqa: N802 (QGIS API)
        return GROUP_ID

    def shortHelpString(self) -> str:  # noqa: N802 (QGIS API)
        return help_text(self.NAME)

    # --- the store and the client --------------------------------------------------------------------

    def store(self) -> ConnectionStore:
        return self.store_factory() if self.store_factory is not None else ConnectionStore()

    def add_connection_parameters(self) -> None:
        """DEPLOYMENT: a deployment's id (the enum's options, as static strings: a model or script keeps naming
        the same deployment when others are added); API_VERSION: v2 or v1. Defaults: the dock's choice."""
        try:
            store = self.store()
            ids = [d.id for d in store.deployments()]
            current = store.current_id()
            version = f"v{store.api_version(current)}"
        except Exception:  # noqa: BLE001 - unreadable settings must not hide the algorithm
            ids, current, version = [d.id for d in BUILTIN], BUILTIN[0].id, "v2"
        if current not in ids:
            current = ids[0]
        deployment = QgsProcessingParameterEnum(
            DEPLOYMENT,
            tr("Deployment (set up in the Tilewise settings)"),
            ids,
            False,
            current,
            False,
            True,
        )
        self.addParameter(deployment)
        self.addParameter(
            QgsProcessingParameterEnum(
                API_VERSION,
                tr("Batch API version"),
                list(VERSIONS),
                False,
                version if version in VERSIONS else "v2",
                False,
                True,
            )  # fmt: skip
        )

    def add_s3_parameters(self) -> None:
        keys = QgsProcessingParameterAuthConfig(
            S3_AUTHCFG,
            tr("S3 keys (a Basic authentication configuration: access key / secret key)"),
            optional=True,
        )
        region = QgsProcessingParameterString(S3_REGION, tr("S3 region"), optional=True)
        for parameter in (keys, region):
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(parameter)

    def connection(self, parameters, context) -> tuple[str, int]:
        deployment = self.parameterAsEnumString(parameters, DEPLOYMENT, context) or ""
        version = self.parameterAsEnumString(parameters, API_VERSION, context) or "v2"
        return deployment, V1 if version == "v1" else V2

    def prepareAlgorithm(self, parameters, context, feedback) -> bool:  # noqa: N802 (QGIS API)
        """The client (and S3 keys) from the store, on the main thread."""
        deployment_id, version = self.connection(parameters, context)
        store = self.store()
        try:
            deployment = store.deployment(deployment_id)
            if version not in deployment.api_versions:
                raise DeploymentError(
                    tr("{name} does not offer the Batch API v{version}: choose {versions}.").format(
                        name=deployment.name,
                        version=version,
                        versions=tr(" or ").join(f"v{v}" for v in deployment.api_versions),
                    )
                )
            self.client = store.client(deployment_id, version)
            if S3_AUTHCFG in [p.name() for p in self.parameterDefinitions()]:
                auth_id = self.parameterAsString(parameters, S3_AUTHCFG, context)
                if auth_id:
                    keys = store.s3_keys(auth_id)
                    if keys is None:
                        raise CredentialsError(
                            tr(
                                "The S3 authentication configuration {id} does not exist: pick another or none."
                            ).format(id=repr(auth_id))
                        )
                    self.s3_keys = (keys.access_key, keys.secret_key)
        except (CredentialsError, DeploymentError) as exc:
            raise QgsProcessingException(str(exc)) from None
        self.engine_endpoint_setting = (
            QgsSettings().value(ENGINE_S3_ENDPOINT_KEY + deployment_id, "", type=str) or None
        )
        return True

    def processAlgorithm(self, parameters, context, feedback) -> dict:  # noqa: N802 (QGIS API)
        try:
            return self.process(parameters, context, feedback)
        finally:
            if self.client is not None:
                self.client.close()  # its connections; a run is over, cancelled or not

    def process(self, parameters, context, feedback) -> dict:
        raise NotImplementedError

    def need_client(self) -> BatchClient:
        if self.client is None:
            raise QgsProcessingException(tr("Tilewise: no client (prepareAlgorithm did not run)."))
        return self.client

    def output_access(self, job: BatchJob, parameters, context, cancel: Cancel) -> Optional[S3Access]:
        """How this machine reads the job's bucket (as the dock's output_access): a Tilewise engine's S3 endpoint,
        the S3 keys and region of the parameters; None for outputs in a folder."""
        url = job.output_url or ""
        if not url.lower().startswith("s3://"):
            return None
        client = self.need_client()
        endpoint = self.engine_endpoint_setting
        if is_local_engine(client.deployment):
            status = client.engine_status(cancel)
            endpoint = (status or {}).get("s3EndpointUrl") or endpoint
        access_key, secret_key = self.s3_keys
        region = self.parameterAsString(parameters, S3_REGION, context).strip() or None
        return S3Access(endpoint_url=endpoint, region=region, access_key=access_key, secret_key=secret_key)

    # --- the job form's fields -----------------------------------------------------------------------

    def add_script_parameters(self) -> None:
        presets = ", ".join(p.name for p in BUILTIN_PRESETS)
        self.addParameter(
            QgsProcessingParameterString(
                EVALSCRIPT,
                tr("Evalscript (the script, or a built-in preset's name: {presets})").format(presets=presets),
                multiLine=True,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                EVALSCRIPT_FILE,
                tr("…or an evalscript file"),
                QgsProcessingParameterFile.Behavior.File,
                optional=True,
                fileFilter=tr("Evalscripts (*.js *.txt);;All files (*.*)"),
            )
        )

    def add_data_parameters(self) -> None:
        collection = QgsProcessingParameterString(
            COLLECTION,
            tr("Data collection ({collections} or byoc-<id>)").format(collections=", ".join(COLLECTIONS)),
            "sentinel-2-l2a",
        )
        self.addParameter(collection)
        for name, label in ((TIME_FROM, tr("From (date)")), (TIME_TO, tr("To (date)"))):
            self.addParameter(
                QgsProcessingParameterDateTime(name, label, QgsProcessingParameterDateTime.Type.Date)
            )
        cloud = QgsProcessingParameterNumber(
            MAX_CLOUD,
            tr("Maximum cloud cover (%)"),
            QgsProcessingParameterNumber.Type.Double,
            optional=True,
        )
        self.addParameter(cloud)
        self.addParameter(
            QgsProcessingParameterEnum(
                MOSAICKING,
                tr("Mosaicking order"),
                list(MOSAICKING_ORDERS),
                False,
                MOSAICKING_ORDERS[0],
                False,
                True,
            )  # fmt: skip
        )

    def evalscript(self, parameters, context) -> str:
        path = self.parameterAsFile(parameters, EVALSCRIPT_FILE, context)
        text = self.parameterAsString(parameters, EVALSCRIPT, context) or ""
        if path and text.strip():
            raise FormInvalid(
                [FieldProblem("evalscript", tr("Give the evalscript once: as text or as a file, not both."))]
            )
        if path:
            try:
                return Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise FormInvalid(
                    [
                        FieldProblem(
                            "evalscript",
                            tr("Cannot read the evalscript {path}: {error}").format(path=path, error=exc),
                        )
                    ]
                ) from None
        for preset in BUILTIN_PRESETS:
            if text.strip().casefold() == preset.name.casefold():
                return preset.script
        if not text.strip():
            raise FormInvalid(
                [FieldProblem("evalscript", tr("Give an evalscript: its text, a preset's name or a file."))]
            )
        return text

    def date_value(self, parameters, name: str, context) -> Optional[date]:
        """A date parameter's value, whatever form it came in (QDate, QDateTime, text, a Python date)."""
        value = parameters.get(name)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, QDate):
            return value.toPyDate() if value.isValid() else None
        if isinstance(value, QDateTime):
            return value.date().toPyDate() if value.isValid() else None
        text = self.parameterAsString(parameters, name, context).strip()
        if not text:
            dt = self.parameterAsDateTime(parameters, name, context)
            return dt.date().toPyDate() if dt.isValid() else None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise FormInvalid(
                [
                    FieldProblem(
                        "time",
                        tr("{name} is not a date: write it as YYYY-MM-DD (got {text}).").format(
                            name=name, text=repr(text)
                        ),
                    )
                ]
            ) from None

    def draft(self, parameters, context, **extra) -> JobDraft:
        """The job form's values as a JobDraft; problems reading them raise FormInvalid, all at once."""
        problems: list[FieldProblem] = []
        script = ""
        try:
            script = self.evalscript(parameters, context)
        except FormInvalid as exc:
            problems.extend(exc.problems)
        dates = {}
        for name in (TIME_FROM, TIME_TO):
            try:
                dates[name] = self.date_value(parameters, name, context)
            except FormInvalid as exc:
                problems.extend(exc.problems)
            missing = name not in dates or dates[name] is None
            if missing and not any(p.field == "time" for p in problems):
                problems.append(
                    FieldProblem(
                        "time",
                        tr("Give the dates: {start} and {end} (YYYY-MM-DD).").format(
                            start=TIME_FROM, end=TIME_TO
                        ),
                    )
                )
        if problems:
            raise FormInvalid(problems)
        cloud = parameters.get(MAX_CLOUD)
        return JobDraft(
            evalscript=script,
            time_from=dates[TIME_FROM],
            time_to=dates[TIME_TO],
            grid=extra.pop("grid", TilingGridSpec(1, 10.0)),
            collection=self.parameterAsString(parameters, COLLECTION, context).strip() or "sentinel-2-l2a",
            max_cloud_coverage=None
            if cloud in (None, "")
            else self.parameterAsDouble(parameters, MAX_CLOUD, context),
            mosaicking_order=self.parameterAsEnumString(parameters, MOSAICKING, context)
            or MOSAICKING_ORDERS[0],
            **extra,
        )


class FeedbackCancel(Cancel):
    """A core.http.Cancel that follows the Processing feedback: set when the feedback is cancelled, whichever
    thread cancels (the Toolbox's Cancel button on the main thread while the algorithm runs in a task, or any
    other). The signal is connected directly (a queued call would wait for an event loop the waiting thread
    does not run), and waits also look at feedback.isCanceled() every quarter of a second."""

    SLICE_S = 0.25

    def __init__(self, feedback):
        super().__init__()
        self.feedback = feedback
        if feedback is not None:
            feedback.canceled.connect(self.set, Qt.ConnectionType.DirectConnection)
            if feedback.isCanceled():
                self.set()

    @property
    def is_set(self) -> bool:
        if not super().is_set and self.feedback is not None and self.feedback.isCanceled():
            self.set()
        return super().is_set

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if self.is_set:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if super().wait(min(left, self.SLICE_S)):
                return True

    def disconnect(self) -> None:
        if self.feedback is not None:
            with contextlib.suppress(TypeError, RuntimeError):
                self.feedback.canceled.disconnect(self.set)


@contextlib.contextmanager
def user_errors():
    """Messages written for the user (the service's, the store's, the job form's) as QgsProcessingException."""
    try:
        yield
    except FormInvalid as exc:
        raise QgsProcessingException(problems_message(exc.problems)) from None
    except Cancelled:
        raise QgsProcessingException(tr("Cancelled.")) from None
    except USER_ERRORS as exc:
        raise QgsProcessingException(str(exc)) from None


@contextlib.contextmanager
def service_calls(feedback):
    """The Cancel for one run's service calls (following the feedback), with the user's errors raised as
    QgsProcessingException; the feedback is let go at the end."""
    cancel = FeedbackCancel(feedback)
    try:
        with user_errors():
            yield cancel
    finally:
        cancel.disconnect()


def boolean(
    name: str, label: str, default: bool = False, advanced: bool = False
) -> QgsProcessingParameterBoolean:
    parameter = QgsProcessingParameterBoolean(name, label, default)
    if advanced:
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    return parameter
