//VERSION=3
// Tilewise preset: True colour (B04, B03, B02) brightened 2.5 times, as 8-bit RGB with an alpha band that hides pixels without data
function setup() {
  return {
    input: [{ bands: ["B02", "B03", "B04", "dataMask"] }],
    output: { bands: 4, sampleType: SampleType.UINT8 }
  };
}

// Reflectance 0.4 (bright ground) is already white after the 2.5 gain; UINT8 clamps to 0..255.
var GAIN = 2.5;

function evaluatePixel(sample) {
  return [
    255 * GAIN * sample.B04,
    255 * GAIN * sample.B03,
    255 * GAIN * sample.B02,
    255 * sample.dataMask
  ];
}
