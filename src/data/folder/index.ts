export { ImageFolderConfigSchema, LabelSpecSchema, type ImageFolderConfig, type ImageFolderConfigInput, type LabelSpec } from './config.js';
export { decodeImage, readImageFile, sniffImageFormat, type ImageFormat } from './decode.js';
export { openImageFolder, type ImageFolderSource, type ImageFolderReport, type RowProblem } from './source.js';
export { openClassFolders, ClassFoldersConfigSchema, type ClassFoldersConfigInput } from './class-folders.js';
