<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>Tilewise</name>
    <message numerus="yes">
        <source>%Ln layer(s): {names}</source>
        <translation>
            <numerusform>%Ln layer: {names}</numerusform>
            <numerusform>%Ln layers: {names}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln tile(s)</source>
        <translation>
            <numerusform>%Ln tile</numerusform>
            <numerusform>%Ln tiles</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{output}&lt;/b&gt;: %n band(s), {type}</source>
        <translation>
            <numerusform>&lt;b&gt;{output}&lt;/b&gt;: %n band, {type}</numerusform>
            <numerusform>&lt;b&gt;{output}&lt;/b&gt;: %n bands, {type}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;%Ln tile(s)&lt;/b&gt; of grid {grid} ({name}) at {resolution} {unit}, in {crs}</source>
        <translation>
            <numerusform>&lt;b&gt;%Ln tile&lt;/b&gt; of grid {grid} ({name}) at {resolution} {unit}, in {crs}</numerusform>
            <numerusform>&lt;b&gt;%Ln tiles&lt;/b&gt; of grid {grid} ({name}) at {resolution} {unit}, in {crs}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) per pixel (one every 3 days, as Sentinel Hub assumes)</source>
        <translation>
            <numerusform>%n sample per pixel (one every 3 days, as Sentinel Hub assumes)</numerusform>
            <numerusform>%n samples per pixel (one every 3 days, as Sentinel Hub assumes)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) per pixel</source>
        <translation>
            <numerusform>%n sample per pixel</numerusform>
            <numerusform>%n samples per pixel</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>writing %Ln tile status(es)</source>
        <translation>
            <numerusform>writing %Ln tile status</numerusform>
            <numerusform>writing %Ln tile statuses</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>adding %Ln tile(s)</source>
        <translation>
            <numerusform>adding %Ln tile</numerusform>
            <numerusform>adding %Ln tiles</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln layer(s) of job {id}… added.</source>
        <translation>
            <numerusform>%Ln layer of job {id}… added.</numerusform>
            <numerusform>%Ln layers of job {id}… added.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln output(s) of job {id}… in {folder}</source>
        <translation>
            <numerusform>%Ln output of job {id}… in {folder}</numerusform>
            <numerusform>%Ln outputs of job {id}… in {folder}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln job(s) of this project</source>
        <translation>
            <numerusform>%Ln job of this project</numerusform>
            <numerusform>%Ln jobs of this project</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln job(s)</source>
        <translation>
            <numerusform>%Ln job</numerusform>
            <numerusform>%Ln jobs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Tilewise: downloading %Ln output(s)</source>
        <translation>
            <numerusform>Tilewise: downloading %Ln output</numerusform>
            <numerusform>Tilewise: downloading %Ln outputs</numerusform>
        </translation>
    </message>
</context>
</TS>
