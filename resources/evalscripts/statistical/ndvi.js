//VERSION=3
// Tilewise preset: NDVI per field = (B08 - B04) / (B08 + B04), with dataMask for the Statistical API
function setup() {
  return {
    input: [{ bands: ["B04", "B08", "dataMask"] }],
    output: [
      { id: "ndvi", bands: 1, sampleType: "FLOAT32" },
      { id: "dataMask", bands: 1 }
    ]
  };
}

function evaluatePixel(sample) {
  // statistics skip pixels whose dataMask is 0, so no NaN is needed here
  return {
    ndvi: [(sample.B08 - sample.B04) / (sample.B08 + sample.B04)],
    dataMask: [sample.dataMask]
  };
}
