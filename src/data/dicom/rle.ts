/**
 * DICOM RLE Lossless (PS3.5 Annex G). Hand-rolled because no maintained npm package decodes it
 * outside a full viewer stack (cornerstone's loader bundles one, but not as a standalone codec);
 * the spec is a header of 16 uint32 plus PackBits segments, one per byte plane.
 * PackBits is inherently sequential (each control byte decides how to read the next), so a
 * byte loop is the algorithm, not a stand-in for vectorised math. Every loop is bounded by the
 * segment length and the output size, so corrupt input cannot hang or overrun.
 */
export function decodeRleFrame(
  frame: Uint8Array,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
): Uint8Array | Uint16Array | Uint32Array {
  const bytesPerSample = bitsAllocated / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1 || bytesPerSample > 4) {
    throw new Error(`RLE with BitsAllocated ${bitsAllocated} is not defined by PS3.5 Annex G`);
  }
  if (frame.length < 64) throw new Error('RLE frame shorter than its 64-byte header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const nSegments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (nSegments !== expected) throw new Error(`RLE header has ${nSegments} segments, expected ${expected}`);
  const offsets: number[] = [];
  for (let i = 0; i < nSegments; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  offsets.push(frame.length);

  const pixels = rows * columns;
  const planes = new Uint8Array(pixels * nSegments);
  for (let s = 0; s < nSegments; s++) {
    const start = offsets[s];
    const end = Math.min(offsets[s + 1], frame.length);
    if (start < 64 || start > end) throw new Error(`RLE segment ${s + 1} offset ${start} is out of range`);
    unpackBits(frame, start, end, planes, s * pixels, pixels);
  }

  // Segment order: for each sample, most significant byte first; output interleaved by pixel.
  const n = pixels * samplesPerPixel;
  const out = bytesPerSample === 1 ? new Uint8Array(n) : bytesPerSample === 2 ? new Uint16Array(n) : new Uint32Array(n);
  for (let c = 0; c < samplesPerPixel; c++) {
    for (let p = 0; p < pixels; p++) {
      let v = 0;
      for (let b = 0; b < bytesPerSample; b++) v = v * 256 + planes[(c * bytesPerSample + b) * pixels + p];
      out[p * samplesPerPixel + c] = v;
    }
  }
  return out;
}

/** PackBits: control n ≥ 0 copies n+1 literal bytes; −127…−1 repeats the next byte 1−n times; −128 is a no-op. */
function unpackBits(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstStart: number, count: number): void {
  let i = start;
  let o = dstStart;
  const oEnd = dstStart + count;
  while (i < end && o < oEnd) {
    const n = (src[i++] << 24) >> 24;
    if (n >= 0) {
      const len = Math.min(n + 1, end - i, oEnd - o);
      dst.set(src.subarray(i, i + len), o);
      i += n + 1;
      o += len;
    } else if (n !== -128) {
      if (i >= end) break;
      const len = Math.min(1 - n, oEnd - o);
      dst.fill(src[i++], o, o + len);
      o += len;
    }
  }
  if (o < oEnd) throw new Error(`RLE segment decodes to ${o - dstStart} bytes, expected ${count}`);
}
