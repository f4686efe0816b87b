import type { ImportJob } from '../model/import-job.ts';

/** Import jobs, one item each, written over the version read. */
export interface ImportJobStore {
  get(channelId: string, id: string): Promise<ImportJob | null>;
  /** Writes the job if the stored version is `job.version - 1` (none stored for version 1); false when another writer came first. */
  put(job: ImportJob): Promise<boolean>;
}

/** A browser form that uploads straight to storage. */
export interface ArchiveUploadForm {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  /** Seconds the form stays valid. */
  readonly expiresIn: number;
  readonly maxBytes: number;
}

/** Where uploaded archives are kept while they are imported. */
export interface ImportArchives {
  /** A presigned upload form for the object key. */
  uploadForm(objectKey: string): Promise<ArchiveUploadForm>;
  /** Whether the upload arrived. */
  exists(objectKey: string): Promise<boolean>;
  /** Copies the archive to a local file for the reader and returns its path; `release` removes the copy. */
  localCopy(objectKey: string): Promise<{ readonly path: string; release(): Promise<void> }>;
}
