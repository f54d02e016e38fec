export { readDicomFile, readDicomHeader, openDicomFile, type DicomImage, type OpenedDicom } from './read-file.js';
export { readDicomSeries, type DicomVolume, type SeriesOptions } from './series.js';
export type { DicomMeta } from './meta.js';
export { decodeFrame, type DecodedDicomFrame } from './decode.js';
export { parseDicomFile, type ParsedDicom } from './parse.js';
export { surveyDicomFiles, type DicomSurveyRow } from './survey.js';
export { TRANSFER_SYNTAXES, transferSyntax, transferSyntaxName, type TransferSyntax, type PixelCodec } from './transfer-syntax.js';
export { decodeRleFrame } from './rle.js';
