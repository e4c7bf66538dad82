//VERSION=3
// Tilewise preset: NDWI per field = (B03 - B08) / (B03 + B08) (McFeeters), with dataMask for the Statistical API
function setup() {
  return {
    input: [{ bands: ["B03", "B08", "dataMask"] }],
    output: [
      { id: "ndwi", bands: 1, sampleType: "FLOAT32" },
      { id: "dataMask", bands: 1 }
    ]
  };
}

function evaluatePixel(sample) {
  return {
    ndwi: [(sample.B03 - sample.B08) / (sample.B03 + sample.B08)],
    dataMask: [sample.dataMask]
  };
}
