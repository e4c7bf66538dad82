<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>Tilewise</name>
    <message>
        <source>Tilewise: batch processing of large areas (Sentinel Hub Batch API)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise is disabled: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise user guide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch job id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The job (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the batch job's id (JOB_ID): the output of “Create a batch job”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a batch job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Area of interest (polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiling grid id (0: UTM 20 km, 1: UTM 10 km, 2: UTM 100 km, 3: WGS84 1°, 6: LAEA 100 km, 7: LAEA 20 km)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolution (grid units)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tile buffer X (pixels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tile buffer Y (pixels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output location (s3://bucket/folder, or a folder for a local Tilewise engine)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cloud-optimised GeoTIFFs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overwrite existing outputs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip tiles whose outputs exist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Description</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiles (Tilewise's count)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Processing units (Tilewise's estimate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{tiles} tiles of grid {grid}; about {pu} PU. Creating the job on {deployment} (Batch API v{version})…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created batch job {id} ({status}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The layer has no features (or none is selected): give at least one polygon.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The layer has no valid CRS: set its CRS in Layer Properties.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analyse a batch job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiles (the service's)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Processing units (the service's estimate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysing job {id}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled: job {id} is still {status} (the analysis goes on on the service).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The analysis of job {id} ended {status}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} is already past its analysis: {status}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id}: {tiles} tiles, {pu} PU by the service's estimate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id}: {tiles} tiles.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a batch job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PU budget (0: no limit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} cannot be started: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} has no processing-unit estimate ({status}) to check against the budget of {budget} PU: analyse it first, or give no budget.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} is expected to cost {pu} PU, more than the budget of {budget} PU: it was not started. Raise the budget or make the job smaller.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} started ({status}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait for a batch job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time limit (seconds, 0: none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fail unless the job ends DONE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiles done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiles failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tiles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id}: {status}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{status}: {done} of {total} tiles done, {failed} failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} is still {status} after {seconds} s ({done} of {total} tiles done): it goes on on the service; wait for it again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped waiting for job {id} ({status}): the job itself goes on on the service.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} ended {status} ({done} tiles done, {failed} failed): {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} ended {status} ({done} tiles done, {failed} failed).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load batch job outputs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A VRT mosaic per output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A layer per tile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add the layers to the project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder for the mosaics (VRT)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output layers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Files left out, and why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} is {status}: it has no outputs yet. Start it, and wait for it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listing the outputs of job {id} at {url}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} ({status}) has no output that can be opened: {problems}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job {id} ({status}) has no output that can be opened at {url}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} layer(s): {names}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}: QGIS cannot open {source}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview an evalscript (Process API)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Extent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Width (pixels; the height follows the extent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output of the script (default: its first)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previewing on {deployment}: {width} × {height} px, {crs} {bbox}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The preview extent is empty: give an extent with an area.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The preview extent is not valid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>GDAL could not write the preview to {target}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{message} (evalscript line {line})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment (set up in the Tilewise settings)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch API version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S3 keys (a Basic authentication configuration: access key / secret key)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S3 region</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} does not offer the Batch API v{version}: choose {versions}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> or </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The S3 authentication configuration {id} does not exist: pick another or none.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise: no client (prepareAlgorithm did not run).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evalscript (the script, or a built-in preset's name: {presets})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>…or an evalscript file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evalscripts (*.js *.txt);;All files (*.*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data collection ({collections} or byoc-&lt;id&gt;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From (date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To (date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Maximum cloud cover (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mosaicking order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the evalscript once: as text or as a file, not both.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the evalscript {path}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give an evalscript: its text, a preset's name or a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is not a date: write it as YYYY-MM-DD (got {text}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the dates: {start} and {end} (YYYY-MM-DD).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Creates a Batch API job (not analysed, not started) for the polygons of a layer (only the selected ones with “Selected features only”), as the Tilewise dock does: the same checks, the same messages. The deployment's client id and secret come from the Tilewise settings (QGIS's authentication database). Output location: s3://bucket/folder, or a local folder for a Tilewise engine on this computer. Outputs the job's id, to feed “Analyse a batch job”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asks the service to analyse a created job and waits until the analysis is done (ANALYSIS_DONE): outputs the service's tile count and processing-unit estimate. An analysed job costs nothing until started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starts an analysed (or created) job. With a PU budget, a job whose estimate is above it is not started (the algorithm fails and says why): analyse it first, so that the service's estimate is known.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follows a job until it ends (DONE, PARTIAL, FAILED, CANCELED or STOPPED), with its progress. Cancelling stops the waiting, not the job: the outputs then give the status it had. With a time limit, a job still running at the limit makes the algorithm fail; with “Fail unless DONE”, so does a job that ends otherwise.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists a job's delivered GeoTIFFs and returns them as layers: one VRT mosaic per output (and UTM zone), written to the output folder, or one layer per tile (opened in place: /vsis3/ paths for S3, the files for a folder). Processing adds them to the project when the algorithm ends. S3 outputs are read with the S3 keys given (a Basic authentication configuration), else with this machine's AWS credentials; a Tilewise engine's own S3 endpoint is used for its jobs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs the evalscript once through the deployment's Process API over an extent, as the dock's preview: a GeoTIFF of one output, in the extent's CRS (lon/lat for EPSG:4326), at most 2500 pixels a side.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise: Sentinel Hub Batch API jobs (Sentinel Hub, CDSE, a Tilewise engine)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where batch jobs run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch API version: v2 is current; v1 has per-tile actions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments and credentials…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the Tilewise user guide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API v{version}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No credentials for {name}: add your client id and secret in the settings (⚙).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}, Batch API v{version}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the engine's status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{connection}: engine {version} on the {catalog} catalog, {workers} worker(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start from a preset, or from a script you saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save this script as a preset of your own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the selected preset of your own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} (mine)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(edited)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save evalscript</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name of your preset:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete your preset “{name}”?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading setup()…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the evalscript</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The script could not be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Line {line}: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{id} (1 band, {sample_type})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{id} ({bands} bands, {sample_type})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reads {bands}; {mosaicking} mosaicking. Outputs: {outputs}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the client id and secret in the Tilewise settings (⚙).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your account may lack access to this: check its plan or the collection's permissions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the deployment's URL and your network or proxy (Settings → Options → Network); for the local engine, run `make engine` or `make run`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The service asks to slow down: try again in a minute.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The service had a problem: try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The job's status does not allow this now: refresh the Jobs tab.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The job may have been deleted: refresh the Jobs tab.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where Tilewise sends batch jobs; the one in use is in bold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a deployment: a Tilewise engine on another computer, or another service.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected deployment you added, with its stored credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://host or http://host:8765</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Batch Processing API version to use with this deployment (only the versions it offers).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Token URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch API</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The OAuth client id of your account on this deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The client secret. It is kept encrypted in QGIS's authentication database, never in the settings or the project, and never shown again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A Tilewise engine's default client is “{client_id}” with the secret “{secret}”, unless it was started with TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in local defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the engine's default client id and secret in the form (then Save).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forget</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove this deployment's client id and secret from QGIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Client id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Client secret</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Credentials (OAuth client)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ask for a token and list the tiling grids, with the credentials in the form (saved or not).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise uses the proxy set in QGIS (Settings → Options → Network).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use this deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send Tilewise's jobs to the selected deployment (OK does too, and closes).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save what the form holds, use the selected deployment and close.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}  (in use)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{url} (built in)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{url} (added by you)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment {id} is in the list.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default: {url}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Built-in deployments cannot be changed; add your own with “Add…”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change it and Save; stored credentials move with the deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave the token URL blank for the base URL's usual one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the credentials in QGIS's authentication database (a blank secret keeps the stored one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the credentials in QGIS's authentication database (a blank secret keeps the stored one), and the name and URLs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>v{version} (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>v{version}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stored in QGIS's authentication database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The client id and secret are stored in QGIS's authentication database: leave the secret blank to keep it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No credentials are stored for this deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A name of your choice, e.g. “Engine on the lab server”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The service's base URL, e.g. http://192.168.1.20:8765 for a Tilewise engine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only when the OAuth token URL is not the base URL's usual one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optional: &lt;base URL&gt;/auth/realms/main/protocol/openid-connect/token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optional now: you can add the credentials later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add the deployment (and store the credentials, when given).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter a name and the base URL, then “Add deployment”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The engine's default client is in the form: Save to keep it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a deployment in the list, or add one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the client id that goes with the secret.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the client secret too: QGIS stores both together.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the client id, or use “Forget” to remove the stored credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added {name}: the credentials are in QGIS's authentication database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved {name}: the credentials are in QGIS's authentication database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added {name}; no credentials are stored for it yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved {name}; no credentials are stored for it yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{url} is already in the list as “{name}”: select it there to change it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The credentials of {name} are removed from QGIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove “{name}” ({url}) and its stored credentials?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Removed {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} will be used through the Batch API v{version}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tilewise now uses {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>testing the connection to {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to {name} (Batch API v{version})…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the client id and secret for {name} first (a Tilewise engine: try “Fill in local defaults”).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the client id and secret for {name} first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 tiling grid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} tiling grids</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected to {name} (Batch API v{version}): token received, {count} (ids {ids}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected to {name} (Batch API v{version}): token received, {count}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection test was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No proxy (Settings → Options → Network)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Using QGIS's proxy {host}:{port}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Using QGIS's proxy {host}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
