<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>Tilewise</name>
    <message>
        <source>Tilewise: batch processing of large areas (Sentinel Hub Batch API)</source>
        <translation>Tilewise: Stapelverarbeitung großer Gebiete (Sentinel Hub Batch API)</translation>
    </message>
    <message>
        <source>Tilewise is disabled: {message}</source>
        <translation>Tilewise ist deaktiviert: {message}</translation>
    </message>
    <message>
        <source>Tilewise user guide</source>
        <translation>Tilewise-Benutzerhandbuch</translation>
    </message>
    <message>
        <source>Batch job id</source>
        <translation>Batch-Job-ID</translation>
    </message>
    <message>
        <source>Job status</source>
        <translation>Job-Status</translation>
    </message>
    <message>
        <source>The job (JSON)</source>
        <translation>Der Job (JSON)</translation>
    </message>
    <message>
        <source>Give the batch job's id (JOB_ID): the output of “Create a batch job”.</source>
        <translation>Geben Sie die ID des Batch-Jobs an (JOB_ID): die Ausgabe von „Batch-Job anlegen“.</translation>
    </message>
    <message>
        <source>Create a batch job</source>
        <translation>Batch-Job anlegen</translation>
    </message>
    <message>
        <source>Area of interest (polygons)</source>
        <translation>Untersuchungsgebiet (Polygone)</translation>
    </message>
    <message>
        <source>Tiling grid id (0: UTM 20 km, 1: UTM 10 km, 2: UTM 100 km, 3: WGS84 1°, 6: LAEA 100 km, 7: LAEA 20 km)</source>
        <translation>ID des Kachelrasters (0: UTM 20 km, 1: UTM 10 km, 2: UTM 100 km, 3: WGS84 1°, 6: LAEA 100 km, 7: LAEA 20 km)</translation>
    </message>
    <message>
        <source>Resolution (grid units)</source>
        <translation>Auflösung (Rastereinheiten)</translation>
    </message>
    <message>
        <source>Tile buffer X (pixels)</source>
        <translation>Kachelpuffer X (Pixel)</translation>
    </message>
    <message>
        <source>Tile buffer Y (pixels)</source>
        <translation>Kachelpuffer Y (Pixel)</translation>
    </message>
    <message>
        <source>Output location (s3://bucket/folder, or a folder for a local Tilewise engine)</source>
        <translation>Ausgabeort (s3://bucket/ordner oder ein Ordner für eine lokale Tilewise-Engine)</translation>
    </message>
    <message>
        <source>Cloud-optimised GeoTIFFs</source>
        <translation>Cloud-optimierte GeoTIFFs</translation>
    </message>
    <message>
        <source>Overwrite existing outputs</source>
        <translation>Vorhandene Ausgaben überschreiben</translation>
    </message>
    <message>
        <source>Skip tiles whose outputs exist</source>
        <translation>Kacheln mit vorhandenen Ausgaben überspringen</translation>
    </message>
    <message>
        <source>Tiles (Tilewise's count)</source>
        <translation>Kacheln (Zählung von Tilewise)</translation>
    </message>
    <message>
        <source>Processing units (Tilewise's estimate)</source>
        <translation>Processing Units (Schätzung von Tilewise)</translation>
    </message>
    <message>
        <source>{tiles} tiles of grid {grid}; about {pu} PU. Creating the job on {deployment} (Batch API v{version})…</source>
        <translation>{tiles} Kacheln des Rasters {grid}; etwa {pu} PU. Der Job wird auf {deployment} angelegt (Batch API v{version}) …</translation>
    </message>
    <message>
        <source>Created batch job {id} ({status}).</source>
        <translation>Batch-Job {id} angelegt ({status}).</translation>
    </message>
    <message>
        <source>The layer has no features (or none is selected): give at least one polygon.</source>
        <translation>Der Layer hat keine Objekte (oder keines ist gewählt): Geben Sie mindestens ein Polygon an.</translation>
    </message>
    <message>
        <source>The layer has no valid CRS: set its CRS in Layer Properties.</source>
        <translation>Der Layer hat kein gültiges KBS: Legen Sie es in den Layereigenschaften fest.</translation>
    </message>
    <message>
        <source>Analyse a batch job</source>
        <translation>Batch-Job analysieren</translation>
    </message>
    <message>
        <source>Tiles (the service's)</source>
        <translation>Kacheln (laut Dienst)</translation>
    </message>
    <message>
        <source>Processing units (the service's estimate)</source>
        <translation>Processing Units (Schätzung des Dienstes)</translation>
    </message>
    <message>
        <source>Analysing job {id}…</source>
        <translation>Job {id} wird analysiert …</translation>
    </message>
    <message>
        <source>Cancelled: job {id} is still {status} (the analysis goes on on the service).</source>
        <translation>Abgebrochen: Job {id} ist noch {status} (die Analyse läuft auf dem Dienst weiter).</translation>
    </message>
    <message>
        <source>The analysis of job {id} ended {status}: {reason}</source>
        <translation>Die Analyse von Job {id} endete mit {status}: {reason}</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>ohne Angabe von Gründen</translation>
    </message>
    <message>
        <source>Job {id} is already past its analysis: {status}.</source>
        <translation>Job {id} ist bereits über die Analyse hinaus: {status}.</translation>
    </message>
    <message>
        <source>Job {id}: {tiles} tiles, {pu} PU by the service's estimate.</source>
        <translation>Job {id}: {tiles} Kacheln, {pu} PU laut Schätzung des Dienstes.</translation>
    </message>
    <message>
        <source>Job {id}: {tiles} tiles.</source>
        <translation>Job {id}: {tiles} Kacheln.</translation>
    </message>
    <message>
        <source>Start a batch job</source>
        <translation>Batch-Job starten</translation>
    </message>
    <message>
        <source>PU budget (0: no limit)</source>
        <translation>PU-Budget (0: keine Grenze)</translation>
    </message>
    <message>
        <source>Job {id} cannot be started: {reason}</source>
        <translation>Job {id} kann nicht gestartet werden: {reason}</translation>
    </message>
    <message>
        <source>Job {id} has no processing-unit estimate ({status}) to check against the budget of {budget} PU: analyse it first, or give no budget.</source>
        <translation>Job {id} hat keine Schätzung der Processing Units ({status}), die mit dem Budget von {budget} PU verglichen werden könnte: Analysieren Sie ihn zuerst, oder geben Sie kein Budget an.</translation>
    </message>
    <message>
        <source>Job {id} is expected to cost {pu} PU, more than the budget of {budget} PU: it was not started. Raise the budget or make the job smaller.</source>
        <translation>Job {id} kostet voraussichtlich {pu} PU, mehr als das Budget von {budget} PU: Er wurde nicht gestartet. Erhöhen Sie das Budget oder verkleinern Sie den Job.</translation>
    </message>
    <message>
        <source>Job {id} started ({status}).</source>
        <translation>Job {id} gestartet ({status}).</translation>
    </message>
    <message>
        <source>Wait for a batch job</source>
        <translation>Auf einen Batch-Job warten</translation>
    </message>
    <message>
        <source>Time limit (seconds, 0: none)</source>
        <translation>Zeitlimit (Sekunden, 0: keines)</translation>
    </message>
    <message>
        <source>Fail unless the job ends DONE</source>
        <translation>Fehlschlagen, wenn der Job nicht mit DONE endet</translation>
    </message>
    <message>
        <source>Tiles done</source>
        <translation>Fertige Kacheln</translation>
    </message>
    <message>
        <source>Tiles failed</source>
        <translation>Fehlgeschlagene Kacheln</translation>
    </message>
    <message>
        <source>Job {id}: {status}</source>
        <translation>Job {id}: {status}</translation>
    </message>
    <message>
        <source>{status}: {done} of {total} tiles done, {failed} failed</source>
        <translation>{status}: {done} von {total} Kacheln fertig, {failed} fehlgeschlagen</translation>
    </message>
    <message>
        <source>Job {id} is still {status} after {seconds} s ({done} of {total} tiles done): it goes on on the service; wait for it again later.</source>
        <translation>Job {id} ist nach {seconds} s noch {status} ({done} von {total} Kacheln fertig): Er läuft auf dem Dienst weiter; warten Sie später erneut darauf.</translation>
    </message>
    <message>
        <source>Stopped waiting for job {id} ({status}): the job itself goes on on the service.</source>
        <translation>Warten auf Job {id} beendet ({status}): Der Job selbst läuft auf dem Dienst weiter.</translation>
    </message>
    <message>
        <source>Job {id}: {error}</source>
        <translation>Job {id}: {error}</translation>
    </message>
    <message>
        <source>Job {id} ended {status} ({done} tiles done, {failed} failed): {error}</source>
        <translation>Job {id} endete mit {status} ({done} Kacheln fertig, {failed} fehlgeschlagen): {error}</translation>
    </message>
    <message>
        <source>Job {id} ended {status} ({done} tiles done, {failed} failed).</source>
        <translation>Job {id} endete mit {status} ({done} Kacheln fertig, {failed} fehlgeschlagen).</translation>
    </message>
    <message>
        <source>Load batch job outputs</source>
        <translation>Ausgaben eines Batch-Jobs laden</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>Layer</translation>
    </message>
    <message>
        <source>A VRT mosaic per output</source>
        <translation>Ein VRT-Mosaik je Ausgabe</translation>
    </message>
    <message>
        <source>A layer per tile</source>
        <translation>Ein Layer je Kachel</translation>
    </message>
    <message>
        <source>Add the layers to the project</source>
        <translation>Layer zum Projekt hinzufügen</translation>
    </message>
    <message>
        <source>Folder for the mosaics (VRT)</source>
        <translation>Ordner für die Mosaike (VRT)</translation>
    </message>
    <message>
        <source>Output layers</source>
        <translation>Ausgabelayer</translation>
    </message>
    <message>
        <source>Files left out, and why</source>
        <translation>Ausgelassene Dateien und warum</translation>
    </message>
    <message>
        <source>Job {id} is {status}: it has no outputs yet. Start it, and wait for it.</source>
        <translation>Job {id} ist {status}: Er hat noch keine Ausgaben. Starten Sie ihn und warten Sie darauf.</translation>
    </message>
    <message>
        <source>Listing the outputs of job {id} at {url}…</source>
        <translation>Die Ausgaben von Job {id} unter {url} werden aufgelistet …</translation>
    </message>
    <message>
        <source>{output} mosaic (EPSG:{epsg}) {id}</source>
        <translation>{output}-Mosaik (EPSG:{epsg}) {id}</translation>
    </message>
    <message>
        <source>Job {id} ({status}) has no output that can be opened: {problems}</source>
        <translation>Job {id} ({status}) hat keine Ausgabe, die sich öffnen lässt: {problems}</translation>
    </message>
    <message>
        <source>Job {id} ({status}) has no output that can be opened at {url}.</source>
        <translation>Job {id} ({status}) hat unter {url} keine Ausgabe, die sich öffnen lässt.</translation>
    </message>
    <message numerus="yes">
        <source>%Ln layer(s): {names}</source>
        <translation>
            <numerusform>%Ln Layer: {names}</numerusform>
            <numerusform>%Ln Layer: {names}</numerusform>
        </translation>
    </message>
    <message>
        <source>{name}: QGIS cannot open {source}.</source>
        <translation>{name}: QGIS kann {source} nicht öffnen.</translation>
    </message>
    <message>
        <source>Preview an evalscript (Process API)</source>
        <translation>Vorschau eines Evalscripts (Process API)</translation>
    </message>
    <message>
        <source>Extent</source>
        <translation>Ausdehnung</translation>
    </message>
    <message>
        <source>Width (pixels; the height follows the extent)</source>
        <translation>Breite (Pixel; die Höhe folgt aus der Ausdehnung)</translation>
    </message>
    <message>
        <source>Output of the script (default: its first)</source>
        <translation>Ausgabe des Skripts (Standard: die erste)</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Vorschau</translation>
    </message>
    <message>
        <source>Previewing on {deployment}: {width} × {height} px, {crs} {bbox}</source>
        <translation>Vorschau auf {deployment}: {width} × {height} px, {crs} {bbox}</translation>
    </message>
    <message>
        <source>The preview extent is empty: give an extent with an area.</source>
        <translation>Die Ausdehnung der Vorschau ist leer: Geben Sie eine Ausdehnung mit Fläche an.</translation>
    </message>
    <message>
        <source>The preview extent is not valid.</source>
        <translation>Die Ausdehnung der Vorschau ist ungültig.</translation>
    </message>
    <message>
        <source>GDAL could not write the preview to {target}: {error}</source>
        <translation>GDAL konnte die Vorschau nicht nach {target} schreiben: {error}</translation>
    </message>
    <message>
        <source>{message} (evalscript line {line})</source>
        <translation>{message} (Evalscript, Zeile {line})</translation>
    </message>
    <message>
        <source>Batch jobs</source>
        <translation>Batch-Jobs</translation>
    </message>
    <message>
        <source>Deployment (set up in the Tilewise settings)</source>
        <translation>Bereitstellung (in den Tilewise-Einstellungen eingerichtet)</translation>
    </message>
    <message>
        <source>Batch API version</source>
        <translation>Version der Batch API</translation>
    </message>
    <message>
        <source>S3 keys (a Basic authentication configuration: access key / secret key)</source>
        <translation>S3-Schlüssel (eine Basic-Authentifizierungskonfiguration: Access Key / Secret Key)</translation>
    </message>
    <message>
        <source>{name} does not offer the Batch API v{version}: choose {versions}.</source>
        <translation>{name} bietet die Batch API v{version} nicht an: Wählen Sie {versions}.</translation>
    </message>
    <message>
        <source> or </source>
        <translation> oder </translation>
    </message>
    <message>
        <source>The S3 authentication configuration {id} does not exist: pick another or none.</source>
        <translation>Die S3-Authentifizierungskonfiguration {id} existiert nicht: Wählen Sie eine andere oder keine.</translation>
    </message>
    <message>
        <source>Tilewise: no client (prepareAlgorithm did not run).</source>
        <translation>Tilewise: kein Client (prepareAlgorithm wurde nicht ausgeführt).</translation>
    </message>
    <message>
        <source>Evalscript (the script, or a built-in preset's name: {presets})</source>
        <translation>Evalscript (das Skript oder der Name einer mitgelieferten Vorlage: {presets})</translation>
    </message>
    <message>
        <source>…or an evalscript file</source>
        <translation>… oder eine Evalscript-Datei</translation>
    </message>
    <message>
        <source>Evalscripts (*.js *.txt);;All files (*.*)</source>
        <translation>Evalscripts (*.js *.txt);;Alle Dateien (*.*)</translation>
    </message>
    <message>
        <source>Data collection ({collections} or byoc-&lt;id&gt;)</source>
        <translation>Datensammlung ({collections} oder byoc-&lt;id&gt;)</translation>
    </message>
    <message>
        <source>From (date)</source>
        <translation>Von (Datum)</translation>
    </message>
    <message>
        <source>To (date)</source>
        <translation>Bis (Datum)</translation>
    </message>
    <message>
        <source>Maximum cloud cover (%)</source>
        <translation>Maximale Wolkenbedeckung (%)</translation>
    </message>
    <message>
        <source>Give the evalscript once: as text or as a file, not both.</source>
        <translation>Geben Sie das Evalscript nur einmal an: als Text oder als Datei, nicht beides.</translation>
    </message>
    <message>
        <source>Cannot read the evalscript {path}: {error}</source>
        <translation>Das Evalscript {path} kann nicht gelesen werden: {error}</translation>
    </message>
    <message>
        <source>Give an evalscript: its text, a preset's name or a file.</source>
        <translation>Geben Sie ein Evalscript an: seinen Text, den Namen einer Vorlage oder eine Datei.</translation>
    </message>
    <message>
        <source>{name} is not a date: write it as YYYY-MM-DD (got {text}).</source>
        <translation>{name} ist kein Datum: Schreiben Sie es als JJJJ-MM-TT (erhalten: {text}).</translation>
    </message>
    <message>
        <source>Give the dates: {start} and {end} (YYYY-MM-DD).</source>
        <translation>Geben Sie die Daten an: {start} und {end} (JJJJ-MM-TT).</translation>
    </message>
    <message>
        <source>Statistics of an evalscript (NDVI, NDWI or your own, with a dataMask output) for each polygon of a layer (only the selected ones with “Selected features only”), per time interval: mean, min, max, standard deviation, the pixel counts, and the percentiles and histogram asked for. Up to 100 polygons are sent one Statistical API request each; more become one Batch Statistical job, whose polygons and results go to the bucket given (s3://bucket/folder, with the S3 keys given), or a folder for a Tilewise engine on this computer. The output GeoPackage holds the layer “fields” (the polygons with the latest interval's means) and the table “statistics” (one record per polygon, interval, output and band). Resolution is in the layer's CRS units: use a projected CRS in metres.</source>
        <translation>Statistiken eines Evalscripts (NDVI, NDWI oder ein eigenes, mit einer dataMask-Ausgabe) für jedes Polygon eines Layers (mit „Nur gewählte Objekte“ nur für die gewählten), je Zeitintervall: Mittelwert, Minimum, Maximum, Standardabweichung, die Pixelzahlen sowie die gewünschten Perzentile und das Histogramm. Bis zu 100 Polygone werden mit je einer Anfrage an die Statistical API gesendet; mehr werden zu einem Batch-Statistical-Job, dessen Polygone und Ergebnisse im angegebenen Bucket liegen (s3://bucket/ordner, mit den angegebenen S3-Schlüsseln) oder in einem Ordner für eine Tilewise-Engine auf diesem Computer. Das Ausgabe-GeoPackage enthält den Layer „fields“ (die Polygone mit den Mittelwerten des letzten Intervalls) und die Tabelle „statistics“ (ein Datensatz je Polygon, Intervall, Ausgabe und Band). Die Auflösung ist in Einheiten des Layer-KBS: Verwenden Sie ein projiziertes KBS in Metern.</translation>
    </message>
    <message>
        <source>Fields (polygons)</source>
        <translation>Felder (Polygone)</translation>
    </message>
    <message>
        <source>Identifier field (default: the feature id)</source>
        <translation>Kennungsfeld (Standard: die Objekt-ID)</translation>
    </message>
    <message>
        <source>Evalscript (the script, or a preset's name: {presets})</source>
        <translation>Evalscript (das Skript oder der Name einer Vorlage: {presets})</translation>
    </message>
    <message>
        <source>Aggregation interval (P1D, P5D, P1W, P1M…)</source>
        <translation>Aggregationsintervall (P1D, P5D, P1W, P1M …)</translation>
    </message>
    <message>
        <source>A last, shorter interval</source>
        <translation>Ein letztes, kürzeres Intervall</translation>
    </message>
    <message>
        <source>Resolution (layer CRS units)</source>
        <translation>Auflösung (Einheiten des Layer-KBS)</translation>
    </message>
    <message>
        <source>Percentiles (e.g. 10, 50, 90)</source>
        <translation>Perzentile (z. B. 10, 50, 90)</translation>
    </message>
    <message>
        <source>Histogram bins (0: none)</source>
        <translation>Histogrammklassen (0: keines)</translation>
    </message>
    <message>
        <source>Histogram low edge</source>
        <translation>Untere Histogrammgrenze</translation>
    </message>
    <message>
        <source>Histogram high edge</source>
        <translation>Obere Histogrammgrenze</translation>
    </message>
    <message>
        <source>Bucket for more than 100 fields (s3://bucket/folder, or a folder for a local Tilewise engine)</source>
        <translation>Bucket für mehr als 100 Felder (s3://bucket/ordner oder ein Ordner für eine lokale Tilewise-Engine)</translation>
    </message>
    <message>
        <source>Fields with their latest means</source>
        <translation>Felder mit ihren letzten Mittelwerten</translation>
    </message>
    <message>
        <source>Batch statistical job id (none when synchronous)</source>
        <translation>ID des Batch-Statistical-Jobs (keine bei synchroner Abfrage)</translation>
    </message>
    <message>
        <source>Fields whose statistics failed</source>
        <translation>Felder, deren Statistik fehlschlug</translation>
    </message>
    <message>
        <source>{count} fields, {mode} on {deployment}…</source>
        <translation>{count} Felder, {mode} auf {deployment} …</translation>
    </message>
    <message>
        <source>one request each</source>
        <translation>je eine Anfrage</translation>
    </message>
    <message>
        <source>as a batch statistical job</source>
        <translation>als Batch-Statistical-Job</translation>
    </message>
    <message>
        <source>Batch statistical job {id}: {status}</source>
        <translation>Batch-Statistical-Job {id}: {status}</translation>
    </message>
    <message>
        <source>Field {fid} failed: {error}</source>
        <translation>Feld {fid} fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>Percentiles are numbers from 0 to 100 separated by commas (got {text}).</source>
        <translation>Perzentile sind Zahlen von 0 bis 100, durch Kommas getrennt (erhalten: {text}).</translation>
    </message>
    <message>
        <source>The layer holds {kind} geometries, not polygons: choose a layer of field polygons (lines or points can become polygons with Buffer or Polygonize).</source>
        <translation>Der Layer enthält {kind}-Geometrien, keine Polygone: Wählen Sie einen Layer mit Feldpolygonen (Linien oder Punkte werden mit Puffer oder Polygonisieren zu Polygonen).</translation>
    </message>
    <message>
        <source>The layer's CRS is unknown, so its features' coordinates cannot be placed: set the layer's CRS (Layer Properties → Source), or reproject the layer, then run again.</source>
        <translation>Das KBS des Layers ist unbekannt, daher lassen sich die Koordinaten seiner Objekte nicht verorten: Legen Sie das KBS des Layers fest (Layereigenschaften → Quelle) oder projizieren Sie den Layer um, und starten Sie erneut.</translation>
    </message>
    <message>
        <source>The layer has {count} features, more than the {limit} one batch statistical job takes: select part of them and use “Selected features only”, one part at a time.</source>
        <translation>Der Layer hat {count} Objekte, mehr als die {limit}, die ein Batch-Statistical-Job annimmt: Wählen Sie einen Teil davon und verwenden Sie „Nur gewählte Objekte“, einen Teil nach dem anderen.</translation>
    </message>
    <message>
        <source>Creates a Batch API job (not analysed, not started) for the polygons of a layer (only the selected ones with “Selected features only”), as the Tilewise dock does: the same checks, the same messages. The deployment's client id and secret come from the Tilewise settings (QGIS's authentication database). Output location: s3://bucket/folder, or a local folder for a Tilewise engine on this computer. Outputs the job's id, to feed “Analyse a batch job”.</source>
        <translation>Legt einen Job der Batch API an (nicht analysiert, nicht gestartet) für die Polygone eines Layers (nur die gewählten mit „Nur gewählte Objekte“), wie es das Tilewise-Bedienfeld tut: dieselben Prüfungen, dieselben Meldungen. Client-ID und Secret der Bereitstellung stammen aus den Tilewise-Einstellungen (der Authentifizierungsdatenbank von QGIS). Ausgabeort: s3://bucket/ordner oder ein lokaler Ordner für eine Tilewise-Engine auf diesem Rechner. Gibt die ID des Jobs aus, als Eingabe für „Batch-Job analysieren“.</translation>
    </message>
    <message>
        <source>Asks the service to analyse a created job and waits until the analysis is done (ANALYSIS_DONE): outputs the service's tile count and processing-unit estimate. An analysed job costs nothing until started.</source>
        <translation>Lässt den Dienst einen angelegten Job analysieren und wartet, bis die Analyse fertig ist (ANALYSIS_DONE): Gibt die Kachelzahl und die Schätzung der Processing Units des Dienstes aus. Ein analysierter Job kostet nichts, bis er gestartet wird.</translation>
    </message>
    <message>
        <source>Starts an analysed (or created) job. With a PU budget, a job whose estimate is above it is not started (the algorithm fails and says why): analyse it first, so that the service's estimate is known.</source>
        <translation>Startet einen analysierten (oder angelegten) Job. Mit einem PU-Budget wird ein Job, dessen Schätzung darüber liegt, nicht gestartet (der Algorithmus schlägt fehl und sagt warum): Analysieren Sie ihn zuerst, damit die Schätzung des Dienstes bekannt ist.</translation>
    </message>
    <message>
        <source>Follows a job until it ends (DONE, PARTIAL, FAILED, CANCELED or STOPPED), with its progress. Cancelling stops the waiting, not the job: the outputs then give the status it had. With a time limit, a job still running at the limit makes the algorithm fail; with “Fail unless DONE”, so does a job that ends otherwise.</source>
        <translation>Verfolgt einen Job mit seinem Fortschritt, bis er endet (DONE, PARTIAL, FAILED, CANCELED oder STOPPED). Abbrechen beendet das Warten, nicht den Job: Die Ausgaben nennen dann seinen letzten Status. Mit einem Zeitlimit schlägt der Algorithmus fehl, wenn der Job beim Limit noch läuft; mit „Fehlschlagen, wenn nicht DONE“ ebenso, wenn der Job anders endet.</translation>
    </message>
    <message>
        <source>Lists a job's delivered GeoTIFFs and returns them as layers: one VRT mosaic per output (and UTM zone), written to the output folder, or one layer per tile (opened in place: /vsis3/ paths for S3, the files for a folder). Processing adds them to the project when the algorithm ends. S3 outputs are read with the S3 keys given (a Basic authentication configuration), else with this machine's AWS credentials; a Tilewise engine's own S3 endpoint is used for its jobs.</source>
        <translation>Listet die gelieferten GeoTIFFs eines Jobs auf und gibt sie als Layer zurück: ein VRT-Mosaik je Ausgabe (und UTM-Zone), in den Ausgabeordner geschrieben, oder ein Layer je Kachel (an Ort und Stelle geöffnet: /vsis3/-Pfade für S3, die Dateien für einen Ordner). Processing fügt sie dem Projekt hinzu, wenn der Algorithmus endet. S3-Ausgaben werden mit den angegebenen S3-Schlüsseln gelesen (eine Basic-Authentifizierungskonfiguration), sonst mit den AWS-Zugangsdaten dieses Rechners; für die Jobs einer Tilewise-Engine wird deren eigener S3-Endpunkt verwendet.</translation>
    </message>
    <message>
        <source>Runs the evalscript once through the deployment's Process API over an extent, as the dock's preview: a GeoTIFF of one output, in the extent's CRS (lon/lat for EPSG:4326), at most 2500 pixels a side.</source>
        <translation>Führt das Evalscript einmal über die Process API der Bereitstellung für eine Ausdehnung aus, wie die Vorschau des Bedienfelds: ein GeoTIFF einer Ausgabe, im KBS der Ausdehnung (Länge/Breite für EPSG:4326), höchstens 2500 Pixel je Seite.</translation>
    </message>
    <message>
        <source>Tilewise: Sentinel Hub Batch API jobs (Sentinel Hub, CDSE, a Tilewise engine)</source>
        <translation>Tilewise: Jobs der Sentinel Hub Batch API (Sentinel Hub, CDSE, eine Tilewise-Engine)</translation>
    </message>
    <message>
        <source>Show tiles</source>
        <translation>Kacheln</translation>
    </message>
    <message>
        <source>Show the job's tiles on the map, coloured by status, and follow them while it runs.</source>
        <translation>Die Kacheln des Jobs nach Status eingefärbt auf der Karte zeigen und verfolgen, solange er läuft.</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Start processing (a STOPPED v2 job carries on with its unfinished tiles). Spends processing units.</source>
        <translation>Die Verarbeitung starten (ein angehaltener v2-Job macht mit seinen unfertigen Kacheln weiter). Verbraucht Processing Units.</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>Stop the job: tiles already running finish and count; start it again later to carry on.</source>
        <translation>Den Job anhalten: Bereits laufende Kacheln werden fertig und zählen; starten Sie ihn später erneut, um weiterzumachen.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel the job: running and delivered tiles are charged, the rest are not processed. A cancelled v1 job cannot go on.</source>
        <translation>Den Job abbrechen: Laufende und gelieferte Kacheln werden abgerechnet, die übrigen nicht verarbeitet. Ein abgebrochener v1-Job kann nicht weitermachen.</translation>
    </message>
    <message>
        <source>Restart failed</source>
        <translation>Wiederholen</translation>
    </message>
    <message>
        <source>Process the FAILED tiles of a PARTIAL job again (restartpartial). Spends PU.</source>
        <translation>Die fehlgeschlagenen Kacheln (FAILED) eines PARTIAL-Jobs erneut verarbeiten (restartpartial). Verbraucht PU.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Delete the job on the service; its outputs stay in the bucket.</source>
        <translation>Den Job auf dem Dienst löschen; seine Ausgaben bleiben im Bucket.</translation>
    </message>
    <message>
        <source>Open outputs</source>
        <comment>a button of the Jobs tab, next to Delete and Open as mosaic</comment>
        <translation>Öffnen</translation>
    </message>
    <message>
        <source>Add each delivered GeoTIFF as a raster layer, grouped per output (opened in place).</source>
        <translation>Jedes gelieferte GeoTIFF als Rasterlayer hinzufügen, nach Ausgabe gruppiert (am Ort geöffnet).</translation>
    </message>
    <message>
        <source>Open as mosaic</source>
        <translation>Mosaik öffnen</translation>
    </message>
    <message>
        <source>One virtual mosaic (VRT) per output and CRS of the delivered tiles.</source>
        <translation>Ein virtuelles Mosaik (VRT) je Ausgabe und KBS der gelieferten Kacheln.</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>Herunterladen …</translation>
    </message>
    <message>
        <source>Copy the delivered GeoTIFFs to a local folder.</source>
        <translation>Die gelieferten GeoTIFFs in einen lokalen Ordner kopieren.</translation>
    </message>
    <message>
        <source>Choose a polygon layer, the map extent, or draw an area.</source>
        <translation>Wählen Sie einen Polygonlayer oder die Kartenausdehnung, oder zeichnen Sie ein Gebiet.</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>Layer</translation>
    </message>
    <message>
        <source>The polygons the job covers. Tilewise's own layers are not offered.</source>
        <translation>Die Polygone, die der Job abdeckt. Die eigenen Layer von Tilewise werden nicht angeboten.</translation>
    </message>
    <message>
        <source>Selected features only</source>
        <translation>Nur gewählte Objekte</translation>
    </message>
    <message>
        <source>Map extent</source>
        <translation>Kartenausdehnung</translation>
    </message>
    <message>
        <source>What the map shows when you press Create, in the map's CRS.</source>
        <translation>Was die Karte zeigt, wenn Sie „Anlegen“ drücken, im KBS der Karte.</translation>
    </message>
    <message>
        <source>Drawn</source>
        <translation>Gezeichnet</translation>
    </message>
    <message>
        <source>Draw rectangle</source>
        <translation>Rechteck</translation>
    </message>
    <message>
        <source>Drag a rectangle on the map. Esc cancels.</source>
        <translation>Ein Rechteck zeichnen: Ziehen Sie es auf der Karte auf. Esc bricht ab.</translation>
    </message>
    <message>
        <source>Draw polygon</source>
        <translation>Polygon</translation>
    </message>
    <message>
        <source>Click the corners on the map; a right-click or a double-click closes it. Esc cancels.</source>
        <translation>Ein Polygon zeichnen: Klicken Sie die Ecken auf der Karte an; ein Rechts- oder Doppelklick schließt es. Esc bricht ab.</translation>
    </message>
    <message>
        <source>Selected features only ({selected:,} of {total:,})</source>
        <translation>Nur gewählte Objekte ({selected:,} von {total:,})</translation>
    </message>
    <message>
        <source>Map extent as the map shows it when you press Create ({crs})</source>
        <translation>Kartenausdehnung, wie die Karte sie beim Drücken von „Anlegen“ zeigt ({crs})</translation>
    </message>
    <message>
        <source>Drawn rectangle ({crs})</source>
        <translation>Gezeichnetes Rechteck ({crs})</translation>
    </message>
    <message>
        <source>Drawn polygon ({crs})</source>
        <translation>Gezeichnetes Polygon ({crs})</translation>
    </message>
    <message>
        <source>{layer}: {selected:,} selected polygon(s) of {total:,}</source>
        <translation>{layer}: {selected:,} gewählte(s) Polygon(e) von {total:,}</translation>
    </message>
    <message>
        <source>{layer}: all {total:,} polygon(s); “Selected features only” is off</source>
        <translation>{layer}: alle {total:,} Polygon(e); „Nur gewählte Objekte“ ist aus</translation>
    </message>
    <message>
        <source>{layer}: no selection, all {total:,} polygon(s)</source>
        <translation>{layer}: keine Auswahl, alle {total:,} Polygon(e)</translation>
    </message>
    <message>
        <source>The map</source>
        <translation>Die Karte</translation>
    </message>
    <message>
        <source>The drawn area</source>
        <translation>Das gezeichnete Gebiet</translation>
    </message>
    <message>
        <source>The layer “{name}”</source>
        <translation>Der Layer „{name}“</translation>
    </message>
    <message>
        <source>Draw an area first: press “Draw rectangle” or “Draw polygon”.</source>
        <translation>Zeichnen Sie zuerst ein Gebiet: Drücken Sie „Rechteck“ oder „Polygon“.</translation>
    </message>
    <message>
        <source>{title} (needs internet)</source>
        <translation>{title} (braucht Internet)</translation>
    </message>
    <message>
        <source>Where the engine's new jobs and previews find their scenes; jobs already created keep theirs.</source>
        <translation>Wo neue Jobs und Vorschauen der Engine ihre Szenen finden; schon angelegte Jobs behalten ihren Katalog.</translation>
    </message>
    <message>
        <source>Switch</source>
        <translation>Wechseln</translation>
    </message>
    <message>
        <source>Switch the engine to the chosen catalog now (OK does too).</source>
        <translation>Die Engine jetzt auf den gewählten Katalog umstellen (OK tut es auch).</translation>
    </message>
    <message>
        <source>Only a Tilewise engine on this computer has a catalog to switch here.</source>
        <translation>Nur eine Tilewise-Engine auf diesem Rechner hat hier einen Katalog zum Wechseln.</translation>
    </message>
    <message>
        <source>reading the catalogs of {name}</source>
        <translation>Kataloge von {name} lesen</translation>
    </message>
    <message>
        <source>Reading the engine's catalogs…</source>
        <translation>Die Kataloge der Engine werden gelesen…</translation>
    </message>
    <message>
        <source>switching the catalog of {name}</source>
        <translation>Katalog von {name} wechseln</translation>
    </message>
    <message>
        <source>Switching the engine to {title}…</source>
        <translation>Die Engine wird auf {title} umgestellt…</translation>
    </message>
    <message>
        <source>Save the engine's client id and secret first: the catalog is read with them.</source>
        <translation>Speichern Sie zuerst Client-ID und Secret der Engine: Der Katalog wird damit gelesen.</translation>
    </message>
    <message>
        <source>The engine now gives new jobs {title}. Jobs created before keep their catalog.</source>
        <translation>Neue Jobs der Engine lesen jetzt {title}. Schon angelegte Jobs behalten ihren Katalog.</translation>
    </message>
    <message>
        <source>The catalog call was cancelled.</source>
        <translation>Der Aufruf an den Katalog wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The engine kept its catalog: {error}</source>
        <translation>Die Engine hat ihren Katalog behalten: {error}</translation>
    </message>
    <message>
        <source>This engine cannot switch catalogs (an older version): update it, or set TILEWISE_CATALOG.</source>
        <translation>Diese Engine kann keine Kataloge wechseln (eine ältere Version): Aktualisieren Sie sie oder setzen Sie TILEWISE_CATALOG.</translation>
    </message>
    <message>
        <source>The engine is not reachable, so its catalog cannot be read: {error}</source>
        <translation>Die Engine ist nicht erreichbar, ihr Katalog kann nicht gelesen werden: {error}</translation>
    </message>
    <message>
        <source>Switch (or OK) to give the engine's new jobs this catalog.</source>
        <translation>Wechseln (oder OK) gibt den neuen Jobs der Engine diesen Katalog.</translation>
    </message>
    <message>
        <source>New jobs read {title}, switched here (the engine's TILEWISE_CATALOG is set aside).</source>
        <translation>Neue Jobs lesen {title}, hier gewechselt (TILEWISE_CATALOG der Engine ist übergangen).</translation>
    </message>
    <message>
        <source>New jobs read {title}, as the engine was started (TILEWISE_CATALOG).</source>
        <translation>Neue Jobs lesen {title}, wie die Engine gestartet wurde (TILEWISE_CATALOG).</translation>
    </message>
    <message>
        <source>Where batch jobs run.</source>
        <translation>Wo Batch-Jobs laufen.</translation>
    </message>
    <message>
        <source>Batch API version: v2 is current; v1 has per-tile actions.</source>
        <translation>Version der Batch API: v2 ist aktuell; v1 hat Aktionen je Kachel.</translation>
    </message>
    <message>
        <source>Deployments and credentials…</source>
        <translation>Bereitstellungen und Zugangsdaten …</translation>
    </message>
    <message>
        <source>Open the Tilewise user guide</source>
        <translation>Das Tilewise-Benutzerhandbuch öffnen</translation>
    </message>
    <message>
        <source>API v{version}</source>
        <translation>API v{version}</translation>
    </message>
    <message>
        <source>No credentials for {name}: add your client id and secret in the settings (⚙).</source>
        <translation>Keine Zugangsdaten für {name}: Tragen Sie Ihre Client-ID und Ihr Secret in den Einstellungen (⚙) ein.</translation>
    </message>
    <message>
        <source>{name}, Batch API v{version}</source>
        <translation>{name}, Batch API v{version}</translation>
    </message>
    <message>
        <source>reading the engine's status</source>
        <translation>Status der Engine wird gelesen</translation>
    </message>
    <message>
        <source>{connection}: engine {version} on the {catalog} catalog, {workers} worker(s)</source>
        <translation>{connection}: Engine {version} auf dem Katalog {catalog}, Worker: {workers}</translation>
    </message>
    <message>
        <source>{catalog} (switched)</source>
        <translation>{catalog} (gewechselt)</translation>
    </message>
    <message>
        <source>New job</source>
        <translation>Neuer Job</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Jobs</translation>
    </message>
    <message>
        <source>Field statistics</source>
        <translation>Feldstatistik</translation>
    </message>
    <message>
        <source> — {area} km² at the last preview</source>
        <translation> — {area} km² bei der letzten Vorschau</translation>
    </message>
    <message>
        <source>{count} problems in the job form: {first}</source>
        <translation>{count} Probleme im Jobformular: {first}</translation>
    </message>
    <message>
        <source>Cancelled. A job already created stays on the service: see the Jobs tab.</source>
        <translation>Abgebrochen. Ein bereits angelegter Job bleibt auf dem Dienst: siehe Reiter „Jobs“.</translation>
    </message>
    <message>
        <source>Listing tiles…</source>
        <translation>Kacheln werden aufgelistet …</translation>
    </message>
    <message>
        <source>Preview cancelled.</source>
        <translation>Vorschau abgebrochen.</translation>
    </message>
    <message>
        <source>Listing the tiles failed.</source>
        <translation>Das Auflisten der Kacheln ist fehlgeschlagen.</translation>
    </message>
    <message>
        <source>Tiles: grid {grid} @ {resolution} {unit} ({count})</source>
        <translation>Kacheln: Raster {grid} @ {resolution} {unit} ({count})</translation>
    </message>
    <message>
        <source>map extent</source>
        <translation>Kartenausdehnung</translation>
    </message>
    <message>
        <source>Preview the tiles first, then select one tile on the map (or the first one is used).</source>
        <translation>Zeigen Sie zuerst die Kacheln in der Vorschau an und wählen Sie dann eine Kachel auf der Karte (sonst wird die erste verwendet).</translation>
    </message>
    <message>
        <source>tile {name}</source>
        <translation>Kachel {name}</translation>
    </message>
    <message>
        <source>Previewing the script on the {where}…</source>
        <translation>Vorschau des Skripts auf {where} …</translation>
    </message>
    <message>
        <source>preview on the {where}</source>
        <translation>Vorschau auf {where}</translation>
    </message>
    <message>
        <source>The preview failed</source>
        <translation>Die Vorschau ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Preview added: {name}</source>
        <translation>Vorschau hinzugefügt: {name}</translation>
    </message>
    <message>
        <source>Choose a deployment.</source>
        <translation>Wählen Sie eine Bereitstellung.</translation>
    </message>
    <message>
        <source>Checking the job and listing its tiles…</source>
        <translation>Der Job wird geprüft und seine Kacheln werden aufgelistet …</translation>
    </message>
    <message>
        <source>preparing the batch job</source>
        <translation>Batch-Job wird vorbereitet</translation>
    </message>
    <message>
        <source>Nothing was sent: fix the fields marked in red.</source>
        <translation>Nichts wurde gesendet: Korrigieren Sie die rot markierten Felder.</translation>
    </message>
    <message>
        <source>Preparing the job failed</source>
        <translation>Das Vorbereiten des Jobs ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>{count} tiles; creating the job on {deployment}…</source>
        <translation>{count} Kacheln; der Job wird auf {deployment} angelegt …</translation>
    </message>
    <message>
        <source>creating the batch job</source>
        <translation>Batch-Job wird angelegt</translation>
    </message>
    <message>
        <source>The service refused the job</source>
        <translation>Der Dienst hat den Job abgelehnt</translation>
    </message>
    <message>
        <source>Created job {id}; analysing…</source>
        <translation>Job {id} angelegt; er wird analysiert …</translation>
    </message>
    <message>
        <source>analysing job {id}</source>
        <translation>Job {id} wird analysiert</translation>
    </message>
    <message>
        <source>The analysis failed</source>
        <translation>Die Analyse ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Job {id} analysed: {count} tiles, </source>
        <translation>Job {id} analysiert: {count} Kacheln, </translation>
    </message>
    <message>
        <source>{estimate} PU by the service's estimate. </source>
        <translation>{estimate} PU laut Schätzung des Dienstes. </translation>
    </message>
    <message>
        <source>Confirm to start it.</source>
        <translation>Bestätigen Sie, um ihn zu starten.</translation>
    </message>
    <message>
        <source> (over the PU budget)</source>
        <translation> (über dem PU-Budget)</translation>
    </message>
    <message>
        <source>Job {id} is analysed and waits{reason}: press “Start…” to start it, or leave it (an analysed job costs nothing).</source>
        <translation>Job {id} ist analysiert und wartet{reason}: Drücken Sie „Starten …“, um ihn zu starten, oder lassen Sie ihn (ein analysierter Job kostet nichts).</translation>
    </message>
    <message>
        <source>The job is expected to cost more than your PU budget.</source>
        <translation>Der Job kostet voraussichtlich mehr als Ihr PU-Budget.</translation>
    </message>
    <message>
        <source>Starting job {id}…</source>
        <translation>Job {id} wird gestartet …</translation>
    </message>
    <message>
        <source>starting job {id}</source>
        <translation>Job {id} wird gestartet</translation>
    </message>
    <message>
        <source>Starting the job failed</source>
        <translation>Das Starten des Jobs ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Job {id}… started ({status}): follow it in the Jobs tab.</source>
        <translation>Job {id}… gestartet ({status}): Verfolgen Sie ihn im Reiter „Jobs“.</translation>
    </message>
    <message>
        <source>{what}: {details}</source>
        <translation>{what}: {details}</translation>
    </message>
    <message>
        <source> Your form is unchanged: fix it and try again.</source>
        <translation> Ihr Formular ist unverändert: Korrigieren Sie es und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Start from a preset, or from a script you saved.</source>
        <translation>Beginnen Sie mit einer Vorlage oder einem Skript, das Sie gespeichert haben.</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>Speichern …</translation>
    </message>
    <message>
        <source>Save this script as a preset of your own.</source>
        <translation>Dieses Skript als eigene Vorlage speichern.</translation>
    </message>
    <message>
        <source>Delete the selected preset of your own.</source>
        <translation>Die gewählte eigene Vorlage löschen.</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>Vorlage</translation>
    </message>
    <message>
        <source>{name} (mine)</source>
        <translation>{name} (eigene)</translation>
    </message>
    <message>
        <source>(edited)</source>
        <translation>(bearbeitet)</translation>
    </message>
    <message>
        <source>Save evalscript</source>
        <translation>Evalscript speichern</translation>
    </message>
    <message>
        <source>Name of your preset:</source>
        <translation>Name Ihrer Vorlage:</translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation>Vorlage löschen</translation>
    </message>
    <message>
        <source>Delete your preset “{name}”?</source>
        <translation>Ihre Vorlage „{name}“ löschen?</translation>
    </message>
    <message>
        <source>Reading setup()…</source>
        <translation>setup() wird gelesen …</translation>
    </message>
    <message>
        <source>reading the evalscript</source>
        <translation>Evalscript wird gelesen</translation>
    </message>
    <message>
        <source>The script could not be read.</source>
        <translation>Das Skript konnte nicht gelesen werden.</translation>
    </message>
    <message>
        <source>Line {line}: {message}</source>
        <translation>Zeile {line}: {message}</translation>
    </message>
    <message>
        <source>{id} (1 band, {sample_type})</source>
        <translation>{id} (1 Band, {sample_type})</translation>
    </message>
    <message>
        <source>{id} ({bands} bands, {sample_type})</source>
        <translation>{id} ({bands} Bänder, {sample_type})</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Reads {bands}; {mosaicking} mosaicking. Outputs: {outputs}.</source>
        <translation>Liest {bands}; Mosaikbildung {mosaicking}. Ausgaben: {outputs}.</translation>
    </message>
    <message>
        <source>The results file {path} has no readable “{table}” layer: run the field statistics again.</source>
        <translation>Die Ergebnisdatei {path} hat keinen lesbaren Layer „{table}“: Feldstatistik erneut ausführen.</translation>
    </message>
    <message>
        <source>Fields: {title}</source>
        <translation>Felder: {title}</translation>
    </message>
    <message>
        <source>Statistics: {title}</source>
        <translation>Statistik: {title}</translation>
    </message>
    <message>
        <source>days</source>
        <translation>Tage</translation>
    </message>
    <message>
        <source>weeks</source>
        <translation>Wochen</translation>
    </message>
    <message>
        <source>months</source>
        <translation>Monate</translation>
    </message>
    <message>
        <source>The interval must be one day or longer: set it to 1 or more.</source>
        <translation>Das Intervall muss mindestens einen Tag lang sein: 1 oder mehr eingeben.</translation>
    </message>
    <message>
        <source>“{part}” is not a percentile: write numbers from 0 to 100, separated by commas.</source>
        <translation>„{part}“ ist kein Perzentil: Zahlen von 0 bis 100 eingeben, durch Kommas getrennt.</translation>
    </message>
    <message>
        <source>“{name}” is not a polygon layer: statistics are per field, so choose a layer of polygons.</source>
        <translation>„{name}“ ist kein Polygonlayer: die Statistik gilt je Feld, also einen Layer mit Polygonen wählen.</translation>
    </message>
    <message>
        <source>Choose the polygon layer of your fields (add it to the project first).</source>
        <translation>Den Polygonlayer Ihrer Felder wählen (zuerst zum Projekt hinzufügen).</translation>
    </message>
    <message>
        <source>“{name}” has no features: draw or load your fields first.</source>
        <translation>„{name}“ hat keine Objekte: zuerst Felder zeichnen oder laden.</translation>
    </message>
    <message>
        <source>Evalscript</source>
        <translation>Evalscript</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Ausführen</translation>
    </message>
    <message>
        <source>Compute the statistics of each field and add the results to the map.</source>
        <translation>Die Statistik jedes Felds berechnen und die Ergebnisse zur Karte hinzufügen.</translation>
    </message>
    <message>
        <source>Stop the run (a batch job is stopped on the service).</source>
        <translation>Den Lauf abbrechen (ein Batch-Auftrag wird beim Dienst gestoppt).</translation>
    </message>
    <message>
        <source>Fields whose statistics failed, with the service's reason.</source>
        <translation>Felder, deren Statistik fehlschlug, mit dem Grund des Dienstes.</translation>
    </message>
    <message>
        <source>The polygons: the selected features of this layer, or all of them.</source>
        <translation>Die Polygone: die ausgewählten Objekte dieses Layers, oder alle.</translation>
    </message>
    <message>
        <source>The attribute that names each field (its feature id when empty).</source>
        <translation>Das Attribut, das jedes Feld benennt (leer: seine Objekt-ID).</translation>
    </message>
    <message>
        <source>Fields</source>
        <translation>Felder</translation>
    </message>
    <message>
        <source>Name from</source>
        <translation>Name aus</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Bis</translation>
    </message>
    <message>
        <source>Every</source>
        <translation>Alle</translation>
    </message>
    <message>
        <source>The pixel size the statistics are computed at.</source>
        <translation>Die Pixelgröße, in der die Statistik berechnet wird.</translation>
    </message>
    <message>
        <source>Any</source>
        <translation>Beliebig</translation>
    </message>
    <message>
        <source>Skip scenes cloudier than this.</source>
        <translation>Szenen mit mehr Bewölkung überspringen.</translation>
    </message>
    <message>
        <source>e.g. 10, 50, 90</source>
        <translation>z. B. 10, 50, 90</translation>
    </message>
    <message>
        <source>Percentiles to compute besides mean, min, max and st. dev.</source>
        <translation>Perzentile, zusätzlich zu Mittel, Min., Max. und Standardabw.</translation>
    </message>
    <message>
        <source>No histogram</source>
        <translation>Kein Histogramm</translation>
    </message>
    <message>
        <source>low edge (default: the minimum)</source>
        <translation>untere Grenze (Standard: das Minimum)</translation>
    </message>
    <message>
        <source>high edge (default: the maximum)</source>
        <translation>obere Grenze (Standard: das Maximum)</translation>
    </message>
    <message>
        <source>s3://bucket/folder (many fields only)</source>
        <translation>s3://bucket/ordner (nur bei vielen Feldern)</translation>
    </message>
    <message>
        <source>Where a batch statistical job keeps the fields' GeoPackage and its results; with the local engine and no bucket, its output root.</source>
        <translation>Wo ein Batch-Statistikauftrag das GeoPackage der Felder und seine Ergebnisse ablegt; mit der lokalen Engine und ohne Bucket ihr Ausgabeverzeichnis.</translation>
    </message>
    <message>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
        <source>The results GeoPackage; empty: a temporary file.</source>
        <translation>Das Ergebnis-GeoPackage; leer: eine temporäre Datei.</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Statistik</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>Auflösung</translation>
    </message>
    <message>
        <source>Max cloud cover</source>
        <translation>Max. Bewölkung</translation>
    </message>
    <message>
        <source>Percentiles</source>
        <translation>Perzentile</translation>
    </message>
    <message>
        <source>Histogram bins</source>
        <translation>Histogrammklassen</translation>
    </message>
    <message>
        <source>Histogram edges</source>
        <translation>Histogrammgrenzen</translation>
    </message>
    <message>
        <source>Batch files in</source>
        <translation>Batch-Dateien in</translation>
    </message>
    <message>
        <source>Results file</source>
        <translation>Ergebnisdatei</translation>
    </message>
    <message>
        <source>Add a polygon layer with your fields to the project.</source>
        <translation>Einen Polygonlayer mit Ihren Feldern zum Projekt hinzufügen.</translation>
    </message>
    <message>
        <source>{count} selected fields.</source>
        <translation>{count} ausgewählte Felder.</translation>
    </message>
    <message>
        <source>No selection: all {count} fields are used.</source>
        <translation>Keine Auswahl: alle {count} Felder werden verwendet.</translation>
    </message>
    <message>
        <source>{count} fields: more than {limit} — select fewer.</source>
        <translation>{count} Felder: mehr als {limit} — weniger auswählen.</translation>
    </message>
    <message>
        <source>{count} fields: one request each (Statistical API).</source>
        <translation>{count} Felder: je eine Anfrage (Statistical API).</translation>
    </message>
    <message>
        <source>{count} fields: a batch statistical job, results in {location}.</source>
        <translation>{count} Felder: ein Batch-Statistikauftrag, Ergebnisse in {location}.</translation>
    </message>
    <message>
        <source>(choose a bucket below)</source>
        <translation>(unten einen Bucket wählen)</translation>
    </message>
    <message>
        <source>{count} fields are more than the {limit} one batch statistical job takes: select part of the layer and run each part on its own.</source>
        <translation>{count} Felder sind mehr als die {limit}, die ein Batch-Statistikauftrag annimmt: einen Teil des Layers auswählen und jeden Teil einzeln ausführen.</translation>
    </message>
    <message>
        <source>{count} fields make a batch statistical job: name its bucket under “Batch files in” (s3://bucket/folder).</source>
        <translation>{count} Felder ergeben einen Batch-Statistikauftrag: seinen Bucket unter „Batch-Dateien in“ angeben (s3://bucket/ordner).</translation>
    </message>
    <message>
        <source>The chosen features have no geometry: select fields with polygons.</source>
        <translation>Die gewählten Objekte haben keine Geometrie: Felder mit Polygonen auswählen.</translation>
    </message>
    <message>
        <source>Fix the evalscript first: {problem}</source>
        <translation>Zuerst das Evalscript korrigieren: {problem}</translation>
    </message>
    <message>
        <source>The evalscript is still being read: try again in a moment.</source>
        <translation>Das Evalscript wird noch gelesen: gleich noch einmal versuchen.</translation>
    </message>
    <message>
        <source>The evalscript has no dataMask output: statistics need it to tell pixels with data from those without. Add an output with id &quot;dataMask&quot; and 1 band to setup() and return dataMask from evaluatePixel, or pick the NDVI or NDWI preset.</source>
        <translation>Das Evalscript hat keine dataMask-Ausgabe: die Statistik braucht sie, um Pixel mit Daten von solchen ohne zu unterscheiden. In setup() eine Ausgabe mit der id &quot;dataMask&quot; und 1 Band hinzufügen und dataMask aus evaluatePixel zurückgeben, oder das Preset NDVI oder NDWI wählen.</translation>
    </message>
    <message>
        <source>“From” must be before “To”: the statistics need a time range.</source>
        <translation>„Von“ muss vor „Bis“ liegen: die Statistik braucht einen Zeitraum.</translation>
    </message>
    <message>
        <source>The histogram's low edge must be below its high edge.</source>
        <translation>Die untere Grenze des Histogramms muss unter der oberen liegen.</translation>
    </message>
    <message>
        <source>The histogram edge “{text}” is not a number: write one, or leave it empty.</source>
        <translation>Die Histogrammgrenze „{text}“ ist keine Zahl: eine Zahl eingeben oder leer lassen.</translation>
    </message>
    <message>
        <source>own script</source>
        <translation>eigenes Skript</translation>
    </message>
    <message>
        <source>{script} · {layer} · {start} to {end}</source>
        <translation>{script} · {layer} · {start} bis {end}</translation>
    </message>
    <message>
        <source>Connect first: choose a deployment at the top and enter its credentials (⚙).</source>
        <translation>Zuerst verbinden: oben ein Deployment wählen und seine Zugangsdaten eingeben (⚙).</translation>
    </message>
    <message>
        <source>Computing the statistics of {count} fields…</source>
        <translation>Berechne die Statistik von {count} Feldern…</translation>
    </message>
    <message>
        <source>Creating a batch statistical job for {count} fields…</source>
        <translation>Erstelle einen Batch-Statistikauftrag für {count} Felder…</translation>
    </message>
    <message>
        <source>“{location}” is not a bucket: write s3://bucket/folder under “Batch files in”.</source>
        <translation>„{location}“ ist kein Bucket: s3://bucket/ordner unter „Batch-Dateien in“ eingeben.</translation>
    </message>
    <message>
        <source>Batch statistical job {id}: {status}, {percent} %.</source>
        <translation>Batch-Statistikauftrag {id}: {status}, {percent} %.</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Breche ab…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>The run returned no statistics.</source>
        <translation>Der Lauf lieferte keine Statistik.</translation>
    </message>
    <message>
        <source>Statistics of {count} fields in {path}.</source>
        <translation>Statistik von {count} Feldern in {path}.</translation>
    </message>
    <message>
        <source>Batch job {id}.</source>
        <translation>Batch-Auftrag {id}.</translation>
    </message>
    <message>
        <source>Field {fid}: {error}</source>
        <translation>Feld {fid}: {error}</translation>
    </message>
    <message>
        <source>Field {name}</source>
        <translation>Feld {name}</translation>
    </message>
    <message>
        <source>interval</source>
        <translation>Intervall</translation>
    </message>
    <message>
        <source>output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <source>band</source>
        <translation>Band</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>Mittel</translation>
    </message>
    <message>
        <source>min</source>
        <translation>Min.</translation>
    </message>
    <message>
        <source>max</source>
        <translation>Max.</translation>
    </message>
    <message>
        <source>st. dev.</source>
        <translation>Standardabw.</translation>
    </message>
    <message>
        <source>samples</source>
        <translation>Pixel</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>keine Daten</translation>
    </message>
    <message>
        <source>percentiles</source>
        <translation>Perzentile</translation>
    </message>
    <message>
        <source>min–max</source>
        <translation>Min.–Max.</translation>
    </message>
    <message>
        <source>No field selected.</source>
        <translation>Kein Feld ausgewählt.</translation>
    </message>
    <message>
        <source>The output and band the chart shows.</source>
        <translation>Die Ausgabe und das Band, die das Diagramm zeigt.</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>Tabelle</translation>
    </message>
    <message>
        <source>Show the field's statistics as a table instead of a chart.</source>
        <translation>Die Statistik des Felds als Tabelle statt als Diagramm zeigen.</translation>
    </message>
    <message>
        <source>{field}: failed: {error}</source>
        <translation>{field}: fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>{output} · {band} · mean</source>
        <translation>{output} · {band} · Mittel</translation>
    </message>
    <message>
        <source>Tiles</source>
        <translation>Kacheln</translation>
    </message>
    <message>
        <source>Add the tiles this job will produce to the map, with the PU estimate.</source>
        <translation>Die Kacheln, die dieser Job erzeugt, mit der PU-Schätzung zur Karte hinzufügen.</translation>
    </message>
    <message>
        <source>Run the script on the map's extent (Process API) and add the result.</source>
        <translation>Das Skript auf der Kartenausdehnung ausführen (Process API) und das Ergebnis hinzufügen.</translation>
    </message>
    <message>
        <source>One tile</source>
        <translation>Eine Kachel</translation>
    </message>
    <message>
        <source>Run the script on the selected tile of the grid preview.</source>
        <translation>Das Skript auf der gewählten Kachel der Rastervorschau ausführen.</translation>
    </message>
    <message>
        <source>Create and analyse</source>
        <translation>Anlegen und analysieren</translation>
    </message>
    <message>
        <source>Send the job, analyse it, then show its cost before anything is processed.</source>
        <translation>Den Job senden, analysieren und seine Kosten zeigen, bevor etwas verarbeitet wird.</translation>
    </message>
    <message>
        <source>Start…</source>
        <translation>Starten …</translation>
    </message>
    <message>
        <source>Confirm and start the analysed job.</source>
        <translation>Den analysierten Job bestätigen und starten.</translation>
    </message>
    <message>
        <source>Stop waiting for what runs now (a job already created stays).</source>
        <translation>Nicht länger auf das Laufende warten (ein bereits angelegter Job bleibt bestehen).</translation>
    </message>
    <message>
        <source>Preview:</source>
        <translation>Vorschau:</translation>
    </message>
    <message>
        <source>No preview yet: Preview “Tiles”</source>
        <translation>Noch keine Vorschau: Vorschau „Kacheln“</translation>
    </message>
    <message numerus="yes">
        <source>%Ln tile(s)</source>
        <translation>
            <numerusform>%Ln Kachel</numerusform>
            <numerusform>%Ln Kacheln</numerusform>
        </translation>
    </message>
    <message>
        <source>PU: fix the evalscript first</source>
        <translation>PU: Korrigieren Sie zuerst das Evalscript</translation>
    </message>
    <message>
        <source>no budget</source>
        <translation>kein Budget</translation>
    </message>
    <message>
        <source>budget {pu:,.0f} PU</source>
        <translation>Budget {pu:,.0f} PU</translation>
    </message>
    <message>
        <source>≈{pu:,.1f} PU expected</source>
        <translation>≈{pu:,.1f} PU erwartet</translation>
    </message>
    <message>
        <source>{action} job {id}…</source>
        <translation>{action}: Job {id}…</translation>
    </message>
    <message>
        <source>Reprocess tile</source>
        <translation>Kachel neu verarbeiten</translation>
    </message>
    <message>
        <source>That feature is no tile of a Tilewise job.</source>
        <translation>Dieses Objekt ist keine Kachel eines Tilewise-Jobs.</translation>
    </message>
    <message>
        <source>Reprocess tile {name}</source>
        <translation>Kachel {name} neu verarbeiten</translation>
    </message>
    <message>
        <source>Open outputs</source>
        <translation>Ausgaben öffnen</translation>
    </message>
    <message>
        <source>Job {id}… has no delivered GeoTIFF at {url} yet.</source>
        <translation>Job {id}… hat unter {url} noch kein geliefertes GeoTIFF.</translation>
    </message>
    <message>
        <source>Open the outputs of job {id}…</source>
        <translation>Die Ausgaben von Job {id}… öffnen</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Herunterladen</translation>
    </message>
    <message>
        <source>Tilewise: downloading the outputs of job {id}…</source>
        <translation>Tilewise: Die Ausgaben von Job {id}… werden heruntergeladen</translation>
    </message>
    <message>
        <source>List the outputs of job {id}…</source>
        <translation>Die Ausgaben von Job {id}… auflisten</translation>
    </message>
    <message>
        <source>deleted on the service (not found)</source>
        <translation>auf dem Dienst gelöscht (nicht gefunden)</translation>
    </message>
    <message>
        <source>deleted from Tilewise</source>
        <translation>aus Tilewise gelöscht</translation>
    </message>
    <message>
        <source>Job {id}… deleted.</source>
        <translation>Job {id}… gelöscht.</translation>
    </message>
    <message>
        <source>{what}: the job is {status}.</source>
        <translation>{what}: Der Job ist {status}.</translation>
    </message>
    <message>
        <source>the job was {reason}</source>
        <translation>der Job wurde {reason}</translation>
    </message>
    <message>
        <source>Download the outputs to</source>
        <translation>Die Ausgaben herunterladen nach</translation>
    </message>
    <message>
        <source>Reprocess tile (Tilewise)</source>
        <translation>Kachel neu verarbeiten (Tilewise)</translation>
    </message>
    <message>
        <source>Open new outputs as they arrive</source>
        <translation>Neue Ausgaben öffnen, sobald sie eintreffen</translation>
    </message>
    <message>
        <source>While the job is watched, each newly finished tile's outputs are added to its group.</source>
        <translation>Solange der Job beobachtet wird, werden die Ausgaben jeder neu fertigen Kachel seiner Gruppe hinzugefügt.</translation>
    </message>
    <message>
        <source>One mosaic per output and CRS</source>
        <translation>Ein Mosaik je Ausgabe und KBS</translation>
    </message>
    <message>
        <source>Tiles in several UTM zones give one VRT per zone, each in its own CRS.</source>
        <translation>Kacheln in mehreren UTM-Zonen ergeben ein VRT je Zone, jedes in seinem eigenen KBS.</translation>
    </message>
    <message>
        <source>One mosaic per output, in the project's CRS</source>
        <translation>Ein Mosaik je Ausgabe, im KBS des Projekts</translation>
    </message>
    <message>
        <source>Not now: {reason}</source>
        <translation>Nicht jetzt: {reason}</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>Läuft …</translation>
    </message>
    <message>
        <source>{done} of {total} tiles done</source>
        <translation>{done} von {total} Kacheln fertig</translation>
    </message>
    <message>
        <source>{failed} failed</source>
        <translation>{failed} fehlgeschlagen</translation>
    </message>
    <message>
        <source>{percent} % complete</source>
        <translation>{percent} % abgeschlossen</translation>
    </message>
    <message>
        <source>{pu} PU charged</source>
        <translation>{pu} PU berechnet</translation>
    </message>
    <message>
        <source>Job “{name}” ended {status}</source>
        <translation>Job „{name}“ beendet: {status}</translation>
    </message>
    <message>
        <source>{done}/{total} tiles</source>
        <translation>{done}/{total} Kacheln</translation>
    </message>
    <message>
        <source>{percent} %</source>
        <translation>{percent} %</translation>
    </message>
    <message>
        <source>{pu} PU</source>
        <translation>{pu} PU</translation>
    </message>
    <message>
        <source>Job {status}</source>
        <translation>Job {status}</translation>
    </message>
    <message>
        <source>Open the job's mosaic on the map.</source>
        <translation>Das Mosaik des Jobs auf der Karte öffnen.</translation>
    </message>
    <message>
        <source>Show job</source>
        <translation>Job zeigen</translation>
    </message>
    <message>
        <source>Show the job in Tilewise's Jobs tab.</source>
        <translation>Den Job im Reiter „Jobs“ von Tilewise zeigen.</translation>
    </message>
    <message>
        <source>An authentication configuration of type Basic whose user name is the S3 access key and whose password is the secret key. Batch API v2 writes the outputs with them (without, with the service's own identity); Tilewise reads the tile statuses and opens the outputs with them.</source>
        <translation>Eine Authentifizierungskonfiguration vom Typ Basic mit dem S3-Zugriffsschlüssel als Benutzername und dem geheimen Schlüssel als Passwort. Batch API v2 schreibt die Ausgaben damit (ohne sie mit der eigenen Identität des Dienstes); Tilewise liest damit die Kachelstatus und öffnet die Ausgaben.</translation>
    </message>
    <message>
        <source>An authentication configuration of type Basic whose user name is the S3 access key and whose password is the secret key. Batch API v1 writes with the service's own identity (bucket policy); Tilewise opens the outputs with these keys (without, with the AWS credentials of this machine).</source>
        <translation>Eine Authentifizierungskonfiguration vom Typ Basic mit dem S3-Zugriffsschlüssel als Benutzername und dem geheimen Schlüssel als Passwort. Batch API v1 schreibt mit der eigenen Identität des Dienstes (Bucket-Richtlinie); Tilewise öffnet die Ausgaben mit diesen Schlüsseln (ohne sie mit den AWS-Zugangsdaten dieses Rechners).</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>Gebiet</translation>
    </message>
    <message>
        <source>A collection, or byoc-&lt;collection id&gt; for your own.</source>
        <translation>Eine Collection, oder byoc-&lt;collection id&gt; für Ihre eigene.</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>Daten</translation>
    </message>
    <message>
        <source>Collection</source>
        <translation>Collection</translation>
    </message>
    <message>
        <source>Read from the script's setup().</source>
        <translation>Aus setup() des Skripts gelesen.</translation>
    </message>
    <message>
        <source>Cloud-optimised GeoTIFF (COG)</source>
        <translation>Cloud-optimiertes GeoTIFF (COG)</translation>
    </message>
    <message>
        <source>Which output a preview shows.</source>
        <translation>Welche Ausgabe eine Vorschau zeigt.</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>From setup()</source>
        <translation>Aus setup()</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Preview output</source>
        <translation>Ausgabe der Vorschau</translation>
    </message>
    <message>
        <source>Preview “Tiles” lists the tiles of the area and what they cost.</source>
        <translation>Die Vorschau „Kacheln“ listet die Kacheln des Gebiets und ihre Kosten auf.</translation>
    </message>
    <message>
        <source>Tiling grid</source>
        <translation>Kachelraster</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>Raster</translation>
    </message>
    <message>
        <source>S3 bucket</source>
        <translation>S3-Bucket</translation>
    </message>
    <message>
        <source>Local folder (Tilewise engine)</source>
        <translation>Lokaler Ordner (Tilewise-Engine)</translation>
    </message>
    <message>
        <source>s3://bucket/folder  or  s3://bucket/&lt;requestId&gt;/&lt;tileName&gt;/&lt;outputId&gt;.&lt;format&gt;</source>
        <translation>s3://bucket/ordner  oder  s3://bucket/&lt;requestId&gt;/&lt;tileName&gt;/&lt;outputId&gt;.&lt;format&gt;</translation>
    </message>
    <message>
        <source>A folder (tiles go to &lt;folder&gt;/&lt;requestId&gt;/&lt;tileName&gt;/&lt;outputId&gt;.&lt;format&gt;) or a template with &lt;requestId&gt;, &lt;tileName&gt; or &lt;tileId&gt;, &lt;outputId&gt; (needed with several outputs) and &lt;format&gt;.</source>
        <translation>Ein Ordner (Kacheln landen in &lt;folder&gt;/&lt;requestId&gt;/&lt;tileName&gt;/&lt;outputId&gt;.&lt;format&gt;) oder eine Vorlage mit &lt;requestId&gt;, &lt;tileName&gt; oder &lt;tileId&gt;, &lt;outputId&gt; (nötig bei mehreren Ausgaben) und &lt;format&gt;.</translation>
    </message>
    <message>
        <source>A folder the engine may write to (under its output root).</source>
        <translation>Ein Ordner, in den die Engine schreiben darf (unter ihrem Ausgabe-Stammordner).</translation>
    </message>
    <message>
        <source>Write to</source>
        <translation>Schreiben nach</translation>
    </message>
    <message>
        <source>S3 URL</source>
        <translation>S3-URL</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <source>S3 keys</source>
        <translation>S3-Schlüssel</translation>
    </message>
    <message>
        <source>Output location</source>
        <translation>Ausgabeort</translation>
    </message>
    <message>
        <source>What this job is for</source>
        <translation>Wofür dieser Job ist</translation>
    </message>
    <message>
        <source>No limit</source>
        <translation>Keine Grenze</translation>
    </message>
    <message>
        <source>Refuse to start a job expected to cost more processing units than this.</source>
        <translation>Einen Job nicht starten, der voraussichtlich mehr Processing Units kostet.</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Job</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>PU budget</source>
        <translation>PU-Budget</translation>
    </message>
    <message>
        <source>Which scene comes first where scenes overlap.</source>
        <translation>Welche Szene vorne liegt, wo sich Szenen überlappen.</translation>
    </message>
    <message>
        <source>Refuse areas that need more tiles than this.</source>
        <translation>Gebiete ablehnen, die mehr Kacheln brauchen.</translation>
    </message>
    <message>
        <source>e.g. eu-central-1 (optional)</source>
        <translation>z. B. eu-central-1 (optional)</translation>
    </message>
    <message>
        <source>Overwrite existing files</source>
        <translation>Vorhandene Dateien überschreiben</translation>
    </message>
    <message>
        <source>Skip tiles whose files exist</source>
        <translation>Kacheln mit vorhandenen Dateien überspringen</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>Erweitert</translation>
    </message>
    <message>
        <source>Mosaicking order</source>
        <translation>Mosaikreihenfolge</translation>
    </message>
    <message>
        <source>Buffer</source>
        <translation>Puffer</translation>
    </message>
    <message>
        <source>Tile limit</source>
        <translation>Kachelgrenze</translation>
    </message>
    <message>
        <source>S3 region</source>
        <translation>S3-Region</translation>
    </message>
    <message>
        <source>{resolution} {unit}  ({pixels:,} × {pixels:,} px per tile)</source>
        <translation>{resolution} {unit}  ({pixels:,} × {pixels:,} px je Kachel)</translation>
    </message>
    <message>
        <source>—  fix the evalscript first.</source>
        <translation>—  Korrigieren Sie zuerst das Evalscript.</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{output}&lt;/b&gt;: %n band(s), {type}</source>
        <translation>
            <numerusform>&lt;b&gt;{output}&lt;/b&gt;: %n Band, {type}</numerusform>
            <numerusform>&lt;b&gt;{output}&lt;/b&gt;: %n Bänder, {type}</numerusform>
        </translation>
    </message>
    <message>
        <source>A folder under the engine's output root, {root}.</source>
        <translation>Ein Ordner unter dem Ausgabe-Stammordner der Engine, {root}.</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;%Ln tile(s)&lt;/b&gt; of grid {grid} ({name}) at {resolution} {unit}, in {crs}</source>
        <translation>
            <numerusform>&lt;b&gt;%Ln Kachel&lt;/b&gt; des Rasters {grid} ({name}) bei {resolution} {unit}, in {crs}</numerusform>
            <numerusform>&lt;b&gt;%Ln Kacheln&lt;/b&gt; des Rasters {grid} ({name}) bei {resolution} {unit}, in {crs}</numerusform>
        </translation>
    </message>
    <message>
        <source>Area {km2:,.1f} km²</source>
        <translation>Fläche {km2:,.1f} km²</translation>
    </message>
    <message>
        <source>Tile raster {width:,} × {height:,} px ({inner_width:,} × {inner_height:,} px plus buffer)</source>
        <translation>Kachelraster {width:,} × {height:,} px ({inner_width:,} × {inner_height:,} px plus Puffer)</translation>
    </message>
    <message>
        <source>Tile raster {width:,} × {height:,} px</source>
        <translation>Kachelraster {width:,} × {height:,} px</translation>
    </message>
    <message>
        <source>PU estimate: fix the evalscript first.</source>
        <translation>PU-Schätzung: Korrigieren Sie zuerst das Evalscript.</translation>
    </message>
    <message>
        <source>{tiles}; the details are under “Tiling grid”.</source>
        <translation>{tiles}; die Einzelheiten stehen unter „Kachelraster“.</translation>
    </message>
    <message>
        <source>The chosen S3 authentication configuration is gone: pick another or none.</source>
        <translation>Die gewählte S3-Authentifizierungskonfiguration gibt es nicht mehr: Wählen Sie eine andere oder keine.</translation>
    </message>
    <message>
        <source>Line {line}: </source>
        <translation>Zeile {line}: </translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) per pixel (one every 3 days, as Sentinel Hub assumes)</source>
        <translation>
            <numerusform>%n Aufnahme je Pixel (eine alle 3 Tage, wie Sentinel Hub annimmt)</numerusform>
            <numerusform>%n Aufnahmen je Pixel (eine alle 3 Tage, wie Sentinel Hub annimmt)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) per pixel</source>
        <translation>
            <numerusform>%n Aufnahme je Pixel</numerusform>
            <numerusform>%n Aufnahmen je Pixel</numerusform>
        </translation>
    </message>
    <message>
        <source>{samples}; estimate (as a v1 analysis reports it) &lt;b&gt;{full:,.1f} PU&lt;/b&gt;; expected charge (batch ⅓ factor, 100 PU minimum) &lt;b&gt;{charge:,.1f} PU&lt;/b&gt;</source>
        <translation>{samples}; Schätzung (wie eine v1-Analyse sie meldet) &lt;b&gt;{full:,.1f} PU&lt;/b&gt;; erwartete Abrechnung (Batch-Faktor ⅓, mindestens 100 PU) &lt;b&gt;{charge:,.1f} PU&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Tilewise job {id}</source>
        <translation>Tilewise-Job {id}</translation>
    </message>
    <message>
        <source>The S3 options of bucket {bucket} could not be set: {error}</source>
        <translation>Die S3-Optionen des Buckets {bucket} konnten nicht gesetzt werden: {error}</translation>
    </message>
    <message>
        <source>The Tilewise layer “{name}” ({url}) cannot be opened{detail}.</source>
        <translation>Der Tilewise-Layer „{name}“ ({url}) lässt sich nicht öffnen{detail}.</translation>
    </message>
    <message>
        <source>Check the bucket's S3 keys and endpoint in the Tilewise settings.</source>
        <translation>Prüfen Sie die S3-Schlüssel und den Endpunkt des Buckets in den Tilewise-Einstellungen.</translation>
    </message>
    <message>
        <source>Add the credentials of {deployment} in the Tilewise settings to resume watching job {id} ({reason}).</source>
        <translation>Fügen Sie die Zugangsdaten von {deployment} in den Tilewise-Einstellungen hinzu, um Job {id} weiter zu beobachten ({reason}).</translation>
    </message>
    <message>
        <source>state of job {id}</source>
        <translation>Zustand von Job {id}</translation>
    </message>
    <message>
        <source>Job {id} was deleted on the service ({deployment}); the layer shows its last known state.</source>
        <translation>Job {id} wurde auf dem Dienst gelöscht ({deployment}); der Layer zeigt seinen letzten bekannten Zustand.</translation>
    </message>
    <message>
        <source>The state of job {id} could not be read: {error}</source>
        <translation>Der Zustand von Job {id} konnte nicht gelesen werden: {error}</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>keine Antwort</translation>
    </message>
    <message>
        <source>No S3 access for job {id}'s bucket ({error}): its progress only is shown.</source>
        <translation>Kein S3-Zugriff auf den Bucket von Job {id} ({error}): Nur sein Fortschritt wird gezeigt.</translation>
    </message>
    <message>
        <source>Watching job {id} was not resumed: {reason}</source>
        <translation>Die Beobachtung von Job {id} wurde nicht fortgesetzt: {reason}</translation>
    </message>
    <message>
        <source>The S3 keys of bucket {bucket} (authentication config {auth_id}) could not be read: {error}</source>
        <translation>Die S3-Schlüssel des Buckets {bucket} (Authentifizierungskonfiguration {auth_id}) konnten nicht gelesen werden: {error}</translation>
    </message>
    <message>
        <source>The S3 keys of bucket {bucket} (authentication config {auth_id}) are not in QGIS's authentication database: its layers may not open. Enter them again in the Tilewise settings.</source>
        <translation>Die S3-Schlüssel des Buckets {bucket} (Authentifizierungskonfiguration {auth_id}) fehlen in der Authentifizierungsdatenbank von QGIS: Seine Layer öffnen sich womöglich nicht. Geben Sie sie in den Tilewise-Einstellungen erneut ein.</translation>
    </message>
    <message>
        <source>Job {id}… {status}</source>
        <translation>Job {id}… {status}</translation>
    </message>
    <message>
        <source>{done} done, {failed} failed of {total} tiles</source>
        <translation>{done} fertig, {failed} fehlgeschlagen von {total} Kacheln</translation>
    </message>
    <message>
        <source>Job {id}…: no longer watched ({reason}); the map shows its last state.</source>
        <translation>Job {id}…: nicht mehr beobachtet ({reason}); die Karte zeigt seinen letzten Zustand.</translation>
    </message>
    <message>
        <source>Tilewise: job “{name}” ({id}…)</source>
        <translation>Tilewise: Job „{name}“ ({id}…)</translation>
    </message>
    <message>
        <source>{reason} (trying again in {seconds} s)</source>
        <translation>{reason} (neuer Versuch in {seconds} s)</translation>
    </message>
    <message>
        <source>Watching job {id} stopped: {reason}</source>
        <translation>Die Beobachtung von Job {id} wurde beendet: {reason}</translation>
    </message>
    <message>
        <source>Reading the final tile statuses of job {id} failed: {error}</source>
        <translation>Das Lesen der endgültigen Kachelstatus von Job {id} ist fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>final tile statuses of job {id}</source>
        <translation>endgültige Kachelstatus von Job {id}</translation>
    </message>
    <message>
        <source>Tile id</source>
        <translation>Kachel-ID</translation>
    </message>
    <message>
        <source>Tile</source>
        <translation>Kachel</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Failure reason</source>
        <translation>Fehlergrund</translation>
    </message>
    <message>
        <source>Cost (PU)</source>
        <translation>Kosten (PU)</translation>
    </message>
    <message>
        <source>EPSG</source>
        <translation>EPSG</translation>
    </message>
    <message>
        <source>Updated (UTC)</source>
        <translation>Aktualisiert (UTC)</translation>
    </message>
    <message>
        <source>Cannot create the folder {folder} for the job's tile layer: {error}</source>
        <translation>Der Ordner {folder} für den Kachellayer des Jobs lässt sich nicht anlegen: {error}</translation>
    </message>
    <message>
        <source>The tile layer {path} was written but QGIS cannot open it.</source>
        <translation>Der Kachellayer {path} wurde geschrieben, aber QGIS kann ihn nicht öffnen.</translation>
    </message>
    <message>
        <source>The tile layer's GeoPackage {path} cannot be opened (was it deleted?).</source>
        <translation>Das GeoPackage {path} des Kachellayers lässt sich nicht öffnen (wurde es gelöscht?).</translation>
    </message>
    <message numerus="yes">
        <source>writing %Ln tile status(es)</source>
        <translation>
            <numerusform>beim Schreiben von %Ln Kachelstatus</numerusform>
            <numerusform>beim Schreiben von %Ln Kachelstatus</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>adding %Ln tile(s)</source>
        <translation>
            <numerusform>beim Hinzufügen von %Ln Kachel</numerusform>
            <numerusform>beim Hinzufügen von %Ln Kacheln</numerusform>
        </translation>
    </message>
    <message>
        <source>The tile layer {path} could not be updated ({what}){error}.</source>
        <translation>Der Kachellayer {path} konnte nicht aktualisiert werden ({what}){error}.</translation>
    </message>
    <message>
        <source>Last known state, not current: {reason}</source>
        <translation>Letzter bekannter Zustand, nicht aktuell: {reason}</translation>
    </message>
    <message>
        <source>Last known state.</source>
        <translation>Letzter bekannter Zustand.</translation>
    </message>
    <message>
        <source>GDAL cannot create it</source>
        <translation>GDAL kann sie nicht anlegen</translation>
    </message>
    <message>
        <source>GDAL cannot create its table</source>
        <translation>GDAL kann ihre Tabelle nicht anlegen</translation>
    </message>
    <message>
        <source>tile {id} cannot be written</source>
        <translation>Kachel {id} lässt sich nicht schreiben</translation>
    </message>
    <message>
        <source>the transaction cannot be committed</source>
        <translation>die Transaktion lässt sich nicht abschließen</translation>
    </message>
    <message>
        <source>Cannot write the job's tile layer {path}: {error}</source>
        <translation>Der Kachellayer {path} des Jobs lässt sich nicht schreiben: {error}</translation>
    </message>
    <message>
        <source>In progress (not delivered yet)</source>
        <translation>In Arbeit (noch nicht geliefert)</translation>
    </message>
    <message>
        <source>Other status</source>
        <translation>Anderer Status</translation>
    </message>
    <message>
        <source>{what}: {message}</source>
        <translation>{what}: {message}</translation>
    </message>
    <message numerus="yes">
        <source>%Ln layer(s) of job {id}… added.</source>
        <translation>
            <numerusform>%Ln Layer von Job {id}… hinzugefügt.</numerusform>
            <numerusform>%Ln Layer von Job {id}… hinzugefügt.</numerusform>
        </translation>
    </message>
    <message>
        <source>(and {count} more in the log)</source>
        <translation>(und {count} weitere im Protokoll)</translation>
    </message>
    <message>
        <source>Downloading the outputs of job {id}… failed: {error}</source>
        <translation>Das Herunterladen der Ausgaben von Job {id}… ist fehlgeschlagen: {error}</translation>
    </message>
    <message numerus="yes">
        <source>%Ln output(s) of job {id}… in {folder}</source>
        <translation>
            <numerusform>%Ln Ausgabe von Job {id}… in {folder}</numerusform>
            <numerusform>%Ln Ausgaben von Job {id}… in {folder}</numerusform>
        </translation>
    </message>
    <message>
        <source>(cancelled: run it again to copy the rest)</source>
        <translation>(abgebrochen: Führen Sie es erneut aus, um den Rest zu kopieren)</translation>
    </message>
    <message>
        <source>{count} left out: {first}</source>
        <translation>{count} ausgelassen: {first}</translation>
    </message>
    <message>
        <source>Reprocess failed tile {name} (job {id}…)</source>
        <translation>Fehlgeschlagene Kachel {name} neu verarbeiten (Job {id}…)</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>PU</source>
        <translation>PU</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Set up a deployment to list its batch jobs.</source>
        <translation>Richten Sie eine Bereitstellung ein, um ihre Batch-Jobs aufzulisten.</translation>
    </message>
    <message>
        <source>Search id, description or status</source>
        <translation>ID, Beschreibung oder Status suchen</translation>
    </message>
    <message>
        <source>The service searches as you type (a|b: either; a&amp;b: both).</source>
        <translation>Der Dienst sucht während der Eingabe (a|b: eines von beiden; a&amp;b: beide).</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>List the jobs again from the service.</source>
        <translation>Die Jobs erneut vom Dienst abrufen.</translation>
    </message>
    <message>
        <source>Only jobs of this project</source>
        <translation>Nur Jobs dieses Projekts</translation>
    </message>
    <message>
        <source>Jobs created from this QGIS project (it remembers them when saved).</source>
        <translation>Aus diesem QGIS-Projekt angelegte Jobs (es merkt sie sich beim Speichern).</translation>
    </message>
    <message>
        <source>Load more</source>
        <translation>Mehr laden</translation>
    </message>
    <message>
        <source>List the next, older jobs.</source>
        <translation>Die nächsten, älteren Jobs auflisten.</translation>
    </message>
    <message>
        <source>User action</source>
        <translation>Benutzeraktion</translation>
    </message>
    <message>
        <source>Estimate</source>
        <translation>Schätzung</translation>
    </message>
    <message>
        <source>Cost</source>
        <translation>Kosten</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <source>Selected tile</source>
        <translation>Gewählte Kachel</translation>
    </message>
    <message>
        <source>Show request</source>
        <translation>Anfrage zeigen</translation>
    </message>
    <message>
        <source>The job's request as sent, with secrets masked.</source>
        <translation>Die Anfrage des Jobs wie gesendet, Geheimnisse maskiert.</translation>
    </message>
    <message>
        <source>Select a job to see its request.</source>
        <translation>Wählen Sie einen Job, um seine Anfrage zu sehen.</translation>
    </message>
    <message>
        <source>jobs of {deployment}</source>
        <translation>Jobs von {deployment}</translation>
    </message>
    <message>
        <source>The service answered with something that is not a job list.</source>
        <translation>Der Dienst hat mit etwas geantwortet, das keine Jobliste ist.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen …</translation>
    </message>
    <message>
        <source>No jobs of this project</source>
        <translation>Keine Jobs dieses Projekts</translation>
    </message>
    <message>
        <source>No jobs</source>
        <translation>Keine Jobs</translation>
    </message>
    <message numerus="yes">
        <source>%Ln job(s) of this project</source>
        <translation>
            <numerusform>%Ln Job dieses Projekts</numerusform>
            <numerusform>%Ln Jobs dieses Projekts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln job(s)</source>
        <translation>
            <numerusform>%Ln Job</numerusform>
            <numerusform>%Ln Jobs</numerusform>
        </translation>
    </message>
    <message>
        <source>on {deployment}</source>
        <translation>auf {deployment}</translation>
    </message>
    <message>
        <source>matching “{search}”</source>
        <translation>passend zu „{search}“</translation>
    </message>
    <message>
        <source>(more below)</source>
        <translation>(weitere unten)</translation>
    </message>
    <message>
        <source>Hide request</source>
        <translation>Anfrage verbergen</translation>
    </message>
    <message>
        <source>{name}: {status}</source>
        <translation>{name}: {status}</translation>
    </message>
    <message>
        <source>({pu} PU)</source>
        <translation>({pu} PU)</translation>
    </message>
    <message>
        <source>No layer: choose a polygon layer for the area.</source>
        <translation>Kein Layer: Wählen Sie einen Polygonlayer für das Gebiet.</translation>
    </message>
    <message>
        <source>The layer “{name}” is not a polygon layer: choose a polygon layer for the area.</source>
        <translation>Der Layer „{name}“ ist kein Polygonlayer: Wählen Sie einen Polygonlayer für das Gebiet.</translation>
    </message>
    <message>
        <source>The layer “{name}” has no features: add or load polygons first.</source>
        <translation>Der Layer „{name}“ hat keine Objekte: Fügen Sie zuerst Polygone hinzu oder laden Sie welche.</translation>
    </message>
    <message>
        <source>{whose} has no valid CRS: set it (Layer Properties, or Project Properties for the map).</source>
        <translation>{whose} hat kein gültiges KBS: Legen Sie es fest (Layereigenschaften, oder Projekteigenschaften für die Karte).</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>unbekannter Fehler</translation>
    </message>
    <message>
        <source>Check the client id and secret in the Tilewise settings (⚙).</source>
        <translation>Prüfen Sie Client-ID und Secret in den Tilewise-Einstellungen (⚙).</translation>
    </message>
    <message>
        <source>Your account may lack access to this: check its plan or the collection's permissions.</source>
        <translation>Ihrem Konto fehlt dafür womöglich der Zugriff: Prüfen Sie seinen Tarif oder die Berechtigungen der Datensammlung.</translation>
    </message>
    <message>
        <source>Check the deployment's URL and your network or proxy (Settings → Options → Network); for the local engine, run `make engine` or `make run`.</source>
        <translation>Prüfen Sie die URL der Bereitstellung und Ihr Netzwerk oder Ihren Proxy (Einstellungen → Optionen → Netzwerk); für die lokale Engine führen Sie `make engine` oder `make run` aus.</translation>
    </message>
    <message>
        <source>The service asks to slow down: try again in a minute.</source>
        <translation>Der Dienst bittet um weniger Anfragen: Versuchen Sie es in einer Minute erneut.</translation>
    </message>
    <message>
        <source>The service had a problem: try again later.</source>
        <translation>Der Dienst hatte ein Problem: Versuchen Sie es später erneut.</translation>
    </message>
    <message>
        <source>The job's status does not allow this now: refresh the Jobs tab.</source>
        <translation>Der Status des Jobs erlaubt das jetzt nicht: Aktualisieren Sie den Reiter „Jobs“.</translation>
    </message>
    <message>
        <source>The job may have been deleted: refresh the Jobs tab.</source>
        <translation>Der Job wurde womöglich gelöscht: Aktualisieren Sie den Reiter „Jobs“.</translation>
    </message>
    <message>
        <source>Tile {tile}, output {output}: {error}</source>
        <translation>Kachel {tile}, Ausgabe {output}: {error}</translation>
    </message>
    <message>
        <source>{output} mosaic (EPSG:{epsg})</source>
        <translation>{output}-Mosaik (EPSG:{epsg})</translation>
    </message>
    <message>
        <source>The {output} mosaic (EPSG:{epsg}) cannot be opened from {path}{detail}.</source>
        <translation>Das {output}-Mosaik (EPSG:{epsg}) lässt sich unter {path} nicht öffnen{detail}.</translation>
    </message>
    <message numerus="yes">
        <source>Tilewise: downloading %Ln output(s)</source>
        <translation>
            <numerusform>Tilewise: %Ln Ausgabe wird heruntergeladen</numerusform>
            <numerusform>Tilewise: %Ln Ausgaben werden heruntergeladen</numerusform>
        </translation>
    </message>
    <message>
        <source>Downloading failed unexpectedly: {error}</source>
        <translation>Das Herunterladen ist unerwartet fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>Process API preview of {script}, output {output}, on the {where}, {start} to {end}</source>
        <translation>Process-API-Vorschau von {script}, Ausgabe {output}, auf {where}, {start} bis {end}</translation>
    </message>
    <message>
        <source>the first</source>
        <translation>die erste</translation>
    </message>
    <message>
        <source>The preview is not a raster QGIS can read: {details}</source>
        <translation>Die Vorschau ist kein Raster, das QGIS lesen kann: {details}</translation>
    </message>
    <message>
        <source>no details</source>
        <translation>keine Einzelheiten</translation>
    </message>
    <message>
        <source>Tilewise settings</source>
        <translation>Tilewise-Einstellungen</translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation>Bereitstellungen</translation>
    </message>
    <message>
        <source>Where Tilewise sends batch jobs; the one in use is in bold.</source>
        <translation>Wohin Tilewise Batch-Jobs sendet; die verwendete ist fett.</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>Hinzufügen …</translation>
    </message>
    <message>
        <source>Add a deployment: a Tilewise engine on another computer, or another service.</source>
        <translation>Eine Bereitstellung hinzufügen: eine Tilewise-Engine auf einem anderen Rechner oder einen anderen Dienst.</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Remove the selected deployment you added, with its stored credentials.</source>
        <translation>Die gewählte, von Ihnen hinzugefügte Bereitstellung mit ihren gespeicherten Zugangsdaten entfernen.</translation>
    </message>
    <message>
        <source>https://host or http://host:8765</source>
        <translation>https://host oder http://host:8765</translation>
    </message>
    <message>
        <source>The Batch Processing API version to use with this deployment (only the versions it offers).</source>
        <translation>Die Version der Batch Processing API für diese Bereitstellung (nur die Versionen, die sie anbietet).</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Basis-URL</translation>
    </message>
    <message>
        <source>Token URL</source>
        <translation>Token-URL</translation>
    </message>
    <message>
        <source>Batch API</source>
        <translation>Batch API</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Bereitstellung</translation>
    </message>
    <message>
        <source>The OAuth client id of your account on this deployment.</source>
        <translation>Die OAuth-Client-ID Ihres Kontos bei dieser Bereitstellung.</translation>
    </message>
    <message>
        <source>The client secret. It is kept encrypted in QGIS's authentication database, never in the settings or the project, and never shown again.</source>
        <translation>Das Client-Secret. Es wird verschlüsselt in der Authentifizierungsdatenbank von QGIS aufbewahrt, nie in den Einstellungen oder im Projekt, und nie wieder angezeigt.</translation>
    </message>
    <message>
        <source>A Tilewise engine's default client is “{client_id}” with the secret “{secret}”, unless it was started with TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET.</source>
        <translation>Der Standard-Client einer Tilewise-Engine ist „{client_id}“ mit dem Secret „{secret}“, sofern sie nicht mit TILEWISE_CLIENT_ID / TILEWISE_CLIENT_SECRET gestartet wurde.</translation>
    </message>
    <message>
        <source>Fill in local defaults</source>
        <translation>Lokale Standardwerte eintragen</translation>
    </message>
    <message>
        <source>Type the engine's default client id and secret in the form (then Save).</source>
        <translation>Standard-Client-ID und -Secret der Engine ins Formular eintragen (dann Speichern).</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>Vergessen</translation>
    </message>
    <message>
        <source>Remove this deployment's client id and secret from QGIS.</source>
        <translation>Client-ID und Secret dieser Bereitstellung aus QGIS entfernen.</translation>
    </message>
    <message>
        <source>Client id</source>
        <translation>Client-ID</translation>
    </message>
    <message>
        <source>Client secret</source>
        <translation>Client-Secret</translation>
    </message>
    <message>
        <source>Credentials (OAuth client)</source>
        <translation>Zugangsdaten (OAuth-Client)</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>Verbindung testen</translation>
    </message>
    <message>
        <source>Ask for a token and list the tiling grids, with the credentials in the form (saved or not).</source>
        <translation>Mit den Zugangsdaten im Formular (gespeichert oder nicht) ein Token anfordern und die Kachelraster auflisten.</translation>
    </message>
    <message>
        <source>Tilewise uses the proxy set in QGIS (Settings → Options → Network).</source>
        <translation>Tilewise verwendet den in QGIS eingestellten Proxy (Einstellungen → Optionen → Netzwerk).</translation>
    </message>
    <message>
        <source>Engine catalog</source>
        <translation>Katalog der Engine</translation>
    </message>
    <message>
        <source>Use this deployment</source>
        <translation>Diese Bereitstellung verwenden</translation>
    </message>
    <message>
        <source>Send Tilewise's jobs to the selected deployment (OK does too, and closes).</source>
        <translation>Die Jobs von Tilewise an die gewählte Bereitstellung senden (OK tut das auch und schließt).</translation>
    </message>
    <message>
        <source>Save what the form holds, use the selected deployment and close.</source>
        <translation>Den Inhalt des Formulars speichern, die gewählte Bereitstellung verwenden und schließen.</translation>
    </message>
    <message>
        <source>{name}  (in use)</source>
        <translation>{name}  (aktiv)</translation>
    </message>
    <message>
        <source>{url} (built in)</source>
        <translation>{url} (mitgeliefert)</translation>
    </message>
    <message>
        <source>{url} (added by you)</source>
        <translation>{url} (von Ihnen hinzugefügt)</translation>
    </message>
    <message>
        <source>No deployment {id} is in the list.</source>
        <translation>Keine Bereitstellung {id} in der Liste.</translation>
    </message>
    <message>
        <source>Default: {url}</source>
        <translation>Standard: {url}</translation>
    </message>
    <message>
        <source>Built-in deployments cannot be changed; add your own with “Add…”.</source>
        <translation>Mitgelieferte Bereitstellungen lassen sich nicht ändern; fügen Sie mit „Hinzufügen …“ eine eigene hinzu.</translation>
    </message>
    <message>
        <source>Change it and Save; stored credentials move with the deployment.</source>
        <translation>Ändern und Speichern; gespeicherte Zugangsdaten gehen mit der Bereitstellung mit.</translation>
    </message>
    <message>
        <source>Leave the token URL blank for the base URL's usual one.</source>
        <translation>Lassen Sie die Token-URL leer für die übliche der Basis-URL.</translation>
    </message>
    <message>
        <source>Save the credentials in QGIS's authentication database (a blank secret keeps the stored one).</source>
        <translation>Die Zugangsdaten in der Authentifizierungsdatenbank von QGIS speichern (ein leeres Secret behält das gespeicherte).</translation>
    </message>
    <message>
        <source>Save the credentials in QGIS's authentication database (a blank secret keeps the stored one), and the name and URLs.</source>
        <translation>Die Zugangsdaten in der Authentifizierungsdatenbank von QGIS speichern (ein leeres Secret behält das gespeicherte), dazu Name und URLs.</translation>
    </message>
    <message>
        <source>v{version} (default)</source>
        <translation>v{version} (Standard)</translation>
    </message>
    <message>
        <source>v{version}</source>
        <translation>v{version}</translation>
    </message>
    <message>
        <source>Stored in QGIS's authentication database</source>
        <translation>In der Authentifizierungsdatenbank von QGIS gespeichert</translation>
    </message>
    <message>
        <source>The client id and secret are stored in QGIS's authentication database: leave the secret blank to keep it.</source>
        <translation>Client-ID und Secret sind in der Authentifizierungsdatenbank von QGIS gespeichert: Lassen Sie das Secret leer, um es zu behalten.</translation>
    </message>
    <message>
        <source>No credentials are stored for this deployment.</source>
        <translation>Für diese Bereitstellung sind keine Zugangsdaten gespeichert.</translation>
    </message>
    <message>
        <source>New deployment</source>
        <translation>Neue Bereitstellung</translation>
    </message>
    <message>
        <source>A name of your choice, e.g. “Engine on the lab server”.</source>
        <translation>Ein Name Ihrer Wahl, z. B. „Engine auf dem Laborserver“.</translation>
    </message>
    <message>
        <source>The service's base URL, e.g. http://192.168.1.20:8765 for a Tilewise engine.</source>
        <translation>Die Basis-URL des Dienstes, z. B. http://192.168.1.20:8765 für eine Tilewise-Engine.</translation>
    </message>
    <message>
        <source>Only when the OAuth token URL is not the base URL's usual one.</source>
        <translation>Nur wenn die OAuth-Token-URL nicht die übliche der Basis-URL ist.</translation>
    </message>
    <message>
        <source>Optional: &lt;base URL&gt;/auth/realms/main/protocol/openid-connect/token</source>
        <translation>Optional: &lt;Basis-URL&gt;/auth/realms/main/protocol/openid-connect/token</translation>
    </message>
    <message>
        <source>Optional now: you can add the credentials later.</source>
        <translation>Jetzt optional: Sie können die Zugangsdaten später hinzufügen.</translation>
    </message>
    <message>
        <source>Add deployment</source>
        <translation>Bereitstellung hinzufügen</translation>
    </message>
    <message>
        <source>Add the deployment (and store the credentials, when given).</source>
        <translation>Die Bereitstellung hinzufügen (und die Zugangsdaten speichern, falls angegeben).</translation>
    </message>
    <message>
        <source>Enter a name and the base URL, then “Add deployment”.</source>
        <translation>Geben Sie einen Namen und die Basis-URL ein, dann „Bereitstellung hinzufügen“.</translation>
    </message>
    <message>
        <source>The engine's default client is in the form: Save to keep it.</source>
        <translation>Der Standard-Client der Engine steht im Formular: Speichern Sie, um ihn zu behalten.</translation>
    </message>
    <message>
        <source>Select a deployment in the list, or add one.</source>
        <translation>Wählen Sie eine Bereitstellung in der Liste, oder fügen Sie eine hinzu.</translation>
    </message>
    <message>
        <source>Enter the client id that goes with the secret.</source>
        <translation>Geben Sie die zum Secret gehörende Client-ID ein.</translation>
    </message>
    <message>
        <source>Enter the client secret too: QGIS stores both together.</source>
        <translation>Geben Sie auch das Client-Secret ein: QGIS speichert beide zusammen.</translation>
    </message>
    <message>
        <source>Enter the client id, or use “Forget” to remove the stored credentials.</source>
        <translation>Geben Sie die Client-ID ein, oder entfernen Sie die gespeicherten Zugangsdaten mit „Vergessen“.</translation>
    </message>
    <message>
        <source>Added {name}: the credentials are in QGIS's authentication database.</source>
        <translation>{name} hinzugefügt: Die Zugangsdaten liegen in der Authentifizierungsdatenbank von QGIS.</translation>
    </message>
    <message>
        <source>Saved {name}: the credentials are in QGIS's authentication database.</source>
        <translation>{name} gespeichert: Die Zugangsdaten liegen in der Authentifizierungsdatenbank von QGIS.</translation>
    </message>
    <message>
        <source>Added {name}.</source>
        <translation>{name} hinzugefügt.</translation>
    </message>
    <message>
        <source>Saved {name}.</source>
        <translation>{name} gespeichert.</translation>
    </message>
    <message>
        <source>Added {name}; no credentials are stored for it yet.</source>
        <translation>{name} hinzugefügt; dafür sind noch keine Zugangsdaten gespeichert.</translation>
    </message>
    <message>
        <source>Saved {name}; no credentials are stored for it yet.</source>
        <translation>{name} gespeichert; dafür sind noch keine Zugangsdaten gespeichert.</translation>
    </message>
    <message>
        <source>{url} is already in the list as “{name}”: select it there to change it.</source>
        <translation>{url} steht bereits als „{name}“ in der Liste: Wählen Sie sie dort, um sie zu ändern.</translation>
    </message>
    <message>
        <source>The credentials of {name} are removed from QGIS.</source>
        <translation>Die Zugangsdaten von {name} wurden aus QGIS entfernt.</translation>
    </message>
    <message>
        <source>Remove deployment</source>
        <translation>Bereitstellung entfernen</translation>
    </message>
    <message>
        <source>Remove “{name}” ({url}) and its stored credentials?</source>
        <translation>„{name}“ ({url}) mit den gespeicherten Zugangsdaten entfernen?</translation>
    </message>
    <message>
        <source>Removed {name}.</source>
        <translation>{name} entfernt.</translation>
    </message>
    <message>
        <source>{name} will be used through the Batch API v{version}.</source>
        <translation>{name} wird über die Batch API v{version} verwendet.</translation>
    </message>
    <message>
        <source>Tilewise now uses {name}.</source>
        <translation>Tilewise verwendet jetzt {name}.</translation>
    </message>
    <message>
        <source>testing the connection to {name}</source>
        <translation>Verbindung zu {name} wird getestet</translation>
    </message>
    <message>
        <source>Connecting to {name} (Batch API v{version})…</source>
        <translation>Verbindung zu {name} (Batch API v{version}) …</translation>
    </message>
    <message>
        <source>Enter the client id and secret for {name} first (a Tilewise engine: try “Fill in local defaults”).</source>
        <translation>Geben Sie zuerst Client-ID und Secret für {name} ein (eine Tilewise-Engine: Versuchen Sie „Lokale Standardwerte eintragen“).</translation>
    </message>
    <message>
        <source>Enter the client id and secret for {name} first.</source>
        <translation>Geben Sie zuerst Client-ID und Secret für {name} ein.</translation>
    </message>
    <message>
        <source>1 tiling grid</source>
        <translation>1 Kachelraster</translation>
    </message>
    <message>
        <source>{n} tiling grids</source>
        <translation>{n} Kachelraster</translation>
    </message>
    <message>
        <source>Connected to {name} (Batch API v{version}): token received, {count} (ids {ids}).</source>
        <translation>Verbunden mit {name} (Batch API v{version}): Token erhalten, {count} (IDs {ids}).</translation>
    </message>
    <message>
        <source>Connected to {name} (Batch API v{version}): token received, {count}.</source>
        <translation>Verbunden mit {name} (Batch API v{version}): Token erhalten, {count}.</translation>
    </message>
    <message>
        <source>The connection test was cancelled.</source>
        <translation>Der Verbindungstest wurde abgebrochen.</translation>
    </message>
    <message>
        <source>No proxy (Settings → Options → Network)</source>
        <translation>Kein Proxy (Einstellungen → Optionen → Netzwerk)</translation>
    </message>
    <message>
        <source>Using QGIS's proxy {host}:{port}</source>
        <translation>Proxy von QGIS: {host}:{port}</translation>
    </message>
    <message>
        <source>Using QGIS's proxy {host}</source>
        <translation>Proxy von QGIS: {host}</translation>
    </message>
    <message>
        <source>Start batch job?</source>
        <translation>Batch-Job starten?</translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; on {deployment} (Batch API v{version})</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt; auf {deployment} (Batch API v{version})</translation>
    </message>
    <message>
        <source>Batch job</source>
        <translation>Batch-Job</translation>
    </message>
    <message>
        <source>Start job</source>
        <translation>Job starten</translation>
    </message>
    <message>
        <source>(the grid preview counted {count:,})</source>
        <translation>(die Rastervorschau zählte {count:,})</translation>
    </message>
    <message>
        <source>none (a Batch API v2 analysis gives none)</source>
        <translation>keine (eine Analyse mit Batch API v2 liefert keine)</translation>
    </message>
    <message>
        <source>{pu:,.1f} PU at the full rate</source>
        <translation>{pu:,.1f} PU zum vollen Satz</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>keine Grenze</translation>
    </message>
    <message>
        <source>Job id</source>
        <translation>Job-ID</translation>
    </message>
    <message>
        <source>Our estimate</source>
        <translation>Unsere Schätzung</translation>
    </message>
    <message>
        <source>Service's estimate</source>
        <translation>Schätzung des Dienstes</translation>
    </message>
    <message>
        <source>Expected charge</source>
        <translation>Erwartete Abrechnung</translation>
    </message>
    <message>
        <source>Start is refused: the expected charge is over your budget. Raise the budget in the job form, or make the job smaller.</source>
        <translation>Der Start wird verweigert: Die erwartete Abrechnung liegt über Ihrem Budget. Erhöhen Sie das Budget im Jobformular oder verkleinern Sie den Job.</translation>
    </message>
    <message>
        <source>Processing units are charged as tiles are processed. Start the job?</source>
        <translation>Processing Units werden abgerechnet, während die Kacheln verarbeitet werden. Den Job starten?</translation>
    </message>
    <message>
        <source>the service's estimate</source>
        <translation>die Schätzung des Dienstes</translation>
    </message>
    <message>
        <source>our estimate</source>
        <translation>unsere Schätzung</translation>
    </message>
    <message>
        <source>A batch job is charged a third of the full rate for tiles of at least 10,000 px, and at least {minimum:,.0f} PU: {basis} of {full:,.1f} PU is expected to cost {charge:,.1f} PU</source>
        <translation>Ein Batch-Job wird für Kacheln ab 10.000 px mit einem Drittel des vollen Satzes abgerechnet, mindestens aber mit {minimum:,.0f} PU: {basis} von {full:,.1f} PU kostet voraussichtlich {charge:,.1f} PU</translation>
    </message>
    <message>
        <source> (the minimum).</source>
        <translation> (das Minimum).</translation>
    </message>
    <message>
        <source>The estimates assume a scene every 3 days ({mosaicking} mosaicking); the final charge counts the scenes actually found, often fewer.</source>
        <translation>Die Schätzungen nehmen alle 3 Tage eine Szene an (Mosaikbildung {mosaicking}); die endgültige Abrechnung zählt die tatsächlich gefundenen Szenen, oft weniger.</translation>
    </message>
    <message>
        <source>Select a field on the map or in the results layer to see its time series.</source>
        <translation>Ein Feld auf der Karte oder im Ergebnislayer auswählen, um seine Zeitreihe zu sehen.</translation>
    </message>
    <message>
        <source>Point at the chart (or use ← →) to read a value.</source>
        <translation>Auf das Diagramm zeigen (oder ← → nutzen), um einen Wert abzulesen.</translation>
    </message>
</context>
</TS>
