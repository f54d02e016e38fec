// Builds small DICOM Part 10 files byte by byte for tests, so the synthetic tests need no data files.
// Explicit VR little endian (or big endian) data sets per PS3.5 §7.1.2; meta group always explicit LE.

export type Value = string | number | (string | number)[] | Uint8Array | Int16Array | Uint16Array;
export interface El {
  tag: [number, number];
  vr: string;
  value: Value;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function encodeValue(vr: string, value: Value, bigEndian: boolean): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof Int16Array || value instanceof Uint16Array) {
    const out = new Uint8Array(value.length * 2);
    const dv = new DataView(out.buffer);
    value.forEach((v, i) => (value instanceof Int16Array ? dv.setInt16(2 * i, v, !bigEndian) : dv.setUint16(2 * i, v, !bigEndian)));
    return out;
  }
  if (vr === 'US' || vr === 'UL' || vr === 'SS') {
    const vals = Array.isArray(value) ? value : [value as number];
    const size = vr === 'UL' ? 4 : 2;
    const out = new Uint8Array(vals.length * size);
    const dv = new DataView(out.buffer);
    vals.map(Number).forEach((v, i) => (size === 4 ? dv.setUint32(4 * i, v, !bigEndian) : vr === 'SS' ? dv.setInt16(2 * i, v, !bigEndian) : dv.setUint16(2 * i, v, !bigEndian)));
    return out;
  }
  const text = Array.isArray(value) ? value.join('\\') : String(value);
  const bytes = new TextEncoder().encode(text);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  padded[bytes.length] = vr === 'UI' || vr === 'OB' ? 0 : 0x20;
  return padded;
}

function encodeElement(el: El, bigEndian: boolean): Uint8Array {
  const value = encodeValue(el.vr, el.value, bigEndian);
  const long = LONG_VRS.has(el.vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, el.tag[0], !bigEndian);
  dv.setUint16(2, el.tag[1], !bigEndian);
  head[4] = el.vr.charCodeAt(0);
  head[5] = el.vr.charCodeAt(1);
  if (long) dv.setUint32(8, value.length, !bigEndian);
  else dv.setUint16(6, value.length, !bigEndian);
  return concat([head, value]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export function dicomFile(elements: El[], opts: { transferSyntax?: string; sopClass?: string; encapsulatedPixels?: Uint8Array[] } = {}): Uint8Array {
  const ts = opts.transferSyntax ?? EXPLICIT_LE;
  const sop = opts.sopClass ?? CT_STORAGE;
  const metaBody = concat(
    [
      { tag: [0x0002, 0x0001], vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: [0x0002, 0x0002], vr: 'UI', value: sop },
      { tag: [0x0002, 0x0003], vr: 'UI', value: '1.2.3.4.5' },
      { tag: [0x0002, 0x0010], vr: 'UI', value: ts },
    ].map((e) => encodeElement(e as El, false)),
  );
  const groupLength = encodeElement({ tag: [0x0002, 0x0000], vr: 'UL', value: metaBody.length }, false);
  const bigEndian = ts === EXPLICIT_BE;
  const all = [{ tag: [0x0008, 0x0016], vr: 'UI', value: sop } as El, ...elements].sort((a, b) => a.tag[0] - b.tag[0] || a.tag[1] - b.tag[1]);
  const body = all.map((e) => encodeElement(e, bigEndian));
  if (opts.encapsulatedPixels) body.push(encapsulated(opts.encapsulatedPixels));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, metaBody, ...body]);
}

/** (7FE0,0010) OB with undefined length: empty Basic Offset Table, one item per fragment, sequence delimiter. */
function encapsulated(fragments: Uint8Array[]): Uint8Array {
  const item = (data: Uint8Array) => {
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, 0xfffe, true);
    dv.setUint16(2, 0xe000, true);
    dv.setUint32(4, data.length, true);
    return concat([h, data]);
  };
  const head = new Uint8Array(12);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  head[4] = 0x4f; // O
  head[5] = 0x42; // B
  dv.setUint32(8, 0xffffffff, true);
  const delim = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return concat([head, item(new Uint8Array(0)), ...fragments.map((f) => item(f.length % 2 ? concat([f, new Uint8Array(1)]) : f)), delim]);
}

export interface SliceSpec {
  rows: number;
  cols: number;
  pixels: Int16Array | Uint16Array;
  signed?: boolean;
  bitsStored?: number;
  slope?: number;
  intercept?: number;
  photometric?: string;
  position?: [number, number, number];
  orientation?: number[];
  spacing?: [number, number];
  series?: string;
  instance?: number;
  patientId?: string;
  transferSyntax?: string;
}

/** A single-frame 16-bit greyscale CT slice. */
export function ctSlice(s: SliceSpec): Uint8Array {
  const els: El[] = [
    { tag: [0x0008, 0x0018], vr: 'UI', value: `1.2.3.${s.instance ?? 1}` },
    { tag: [0x0008, 0x0060], vr: 'CS', value: 'CT' },
    { tag: [0x0010, 0x0020], vr: 'LO', value: s.patientId ?? 'P001' },
    { tag: [0x0018, 0x0050], vr: 'DS', value: '2.5' },
    { tag: [0x0020, 0x000e], vr: 'UI', value: s.series ?? '1.2.826.0.1.1' },
    { tag: [0x0020, 0x0013], vr: 'IS', value: String(s.instance ?? 1) },
    { tag: [0x0028, 0x0002], vr: 'US', value: 1 },
    { tag: [0x0028, 0x0004], vr: 'CS', value: s.photometric ?? 'MONOCHROME2' },
    { tag: [0x0028, 0x0010], vr: 'US', value: s.rows },
    { tag: [0x0028, 0x0011], vr: 'US', value: s.cols },
    { tag: [0x0028, 0x0030], vr: 'DS', value: (s.spacing ?? [0.5, 0.75]) },
    { tag: [0x0028, 0x0100], vr: 'US', value: 16 },
    { tag: [0x0028, 0x0101], vr: 'US', value: s.bitsStored ?? 16 },
    { tag: [0x0028, 0x0102], vr: 'US', value: (s.bitsStored ?? 16) - 1 },
    { tag: [0x0028, 0x0103], vr: 'US', value: s.signed ? 1 : 0 },
    { tag: [0x0028, 0x1050], vr: 'DS', value: '40' },
    { tag: [0x0028, 0x1051], vr: 'DS', value: '400' },
    { tag: [0x0028, 0x1052], vr: 'DS', value: String(s.intercept ?? 0) },
    { tag: [0x0028, 0x1053], vr: 'DS', value: String(s.slope ?? 1) },
    { tag: [0x7fe0, 0x0010], vr: 'OW', value: s.pixels },
  ];
  if (s.position) els.push({ tag: [0x0020, 0x0032], vr: 'DS', value: s.position });
  els.push({ tag: [0x0020, 0x0037], vr: 'DS', value: (s.orientation ?? [1, 0, 0, 0, 1, 0]) });
  return dicomFile(els, { transferSyntax: s.transferSyntax });
}
