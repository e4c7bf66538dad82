//VERSION=3
// Tilewise preset: NDVI per field without clouds, shadows and snow (Sentinel-2 L2A scene classification, SCL)
function setup() {
  return {
    input: [{ bands: ["B04", "B08", "SCL", "dataMask"] }],
    output: [
      { id: "ndvi", bands: 1, sampleType: "FLOAT32" },
      { id: "dataMask", bands: 1 }
    ]
  };
}

// SCL classes left out: 3 cloud shadow, 8 and 9 cloud (medium, high probability), 10 thin cirrus, 11 snow
var EXCLUDED_CLASSES = [3, 8, 9, 10, 11];

function evaluatePixel(sample) {
  var clear = EXCLUDED_CLASSES.indexOf(sample.SCL) === -1;
  return {
    ndvi: [(sample.B08 - sample.B04) / (sample.B08 + sample.B04)],
    dataMask: [sample.dataMask === 1 && clear ? 1 : 0]
  };
}
