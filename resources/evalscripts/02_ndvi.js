//VERSION=3
// Tilewise preset: NDVI = (B08 - B04) / (B08 + B04), one FLOAT32 band from -1 to 1, NaN (no data in QGIS) where there is no data
function setup() {
  return {
    input: [{ bands: ["B04", "B08", "dataMask"] }],
    output: { bands: 1, sampleType: SampleType.FLOAT32 }
  };
}

function evaluatePixel(sample) {
  // NaN, not 0: 0 is a real NDVI (bare ground), and QGIS shows NaN as transparent.
  if (sample.dataMask === 0) {
    return [NaN];
  }
  return [(sample.B08 - sample.B04) / (sample.B08 + sample.B04)];
}
