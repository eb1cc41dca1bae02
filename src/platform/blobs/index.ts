import type { Config } from "../config.ts";
import type { BlobStore } from "./blob-store.ts";
import { createFsBlobStore } from "./fs-blob-store.ts";

/**
 * Blob storage for attachments and exports. Modules use the sealed API (putSealed, getSealed,
 * resealBlob, …) with a BlobStore from `createBlobStore`; they never write to a store directly.
 */
export { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError, type BlobInfo, type BlobStore } from "./blob-store.ts";
export { UnsafeBlobPathError, type FsBlobStore } from "./fs-blob-store.ts";
export {
  blobKey,
  deleteSealed,
  getSealed,
  listSealed,
  plaintextBytes,
  putSealed,
  removeOrphanBlobs,
  resealBlob,
  resealTenantBlobs,
  sealedBlobKeyVersion,
  sealedBlobSize,
  type BlobSealer,
  type SealedBlobWritten,
} from "./sealed-blobs.ts";
export { BLOB_PURPOSES, BlobIntegrityError, type BlobPurpose, type BlobRef } from "../crypto/keyring.ts";

/**
 * The installation's blob store: the filesystem under `config.blobDir`. An S3-compatible store
 * will be chosen here from its own settings; callers only ever see a BlobStore.
 */
export function createBlobStore(config: Pick<Config, "blobDir">): BlobStore {
  return createFsBlobStore(config.blobDir);
}
