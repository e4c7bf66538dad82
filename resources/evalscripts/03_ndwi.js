//VERSION=3
// Tilewise preset: NDWI = (B03 - B08) / (B03 + B08) (McFeeters, open water above 0), one FLOAT32 band, NaN where there is no data
function setup() {
  return {
    input: [{ bands: ["B03", "B08", "dataMask"] }],
    output: { bands: 1, sampleType: SampleType.FLOAT32 }
  };
}

function evaluatePixel(sample) {
  // NaN, not 0: 0 is a real NDWI, and QGIS shows NaN as transparent.
  if (sample.dataMask === 0) {
    return [NaN];
  }
  return [(sample.B03 - sample.B08) / (sample.B03 + sample.B08)];
}
