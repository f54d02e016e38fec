// Minimal typings for the two decoders DRIVE needs (neither package ships types).
declare module 'utif' {
  interface IFD {
    width: number;
    height: number;
    [tag: string]: unknown;
  }
  export function decode(buf: ArrayBuffer | Uint8Array): IFD[];
  export function decodeImage(buf: ArrayBuffer | Uint8Array, ifd: IFD, ifds?: IFD[]): void;
  export function toRGBA8(ifd: IFD): Uint8Array;
  export function encodeImage(rgba: Uint8Array, w: number, h: number): ArrayBuffer;
  const UTIF: { decode: typeof decode; decodeImage: typeof decodeImage; toRGBA8: typeof toRGBA8; encodeImage: typeof encodeImage };
  export default UTIF;
}

declare module 'omggif' {
  export class GifReader {
    constructor(buf: Uint8Array);
    width: number;
    height: number;
    numFrames(): number;
    decodeAndBlitFrameRGBA(frame: number, pixels: Uint8Array): void;
  }
  export class GifWriter {
    constructor(buf: Uint8Array, width: number, height: number, opts?: { palette?: number[] });
    addFrame(x: number, y: number, w: number, h: number, indexed: Uint8Array | number[], opts?: Record<string, unknown>): number;
    end(): number;
  }
  const omggif: { GifReader: typeof GifReader; GifWriter: typeof GifWriter };
  export default omggif;
}
