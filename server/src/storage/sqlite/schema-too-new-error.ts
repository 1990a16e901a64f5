/** Thrown at open when the file was written by a newer Concord than this one. */
export class SchemaTooNewError extends Error {
  readonly code = 'ERR_STORAGE_SCHEMA_TOO_NEW';

  constructor(readonly found: number, readonly known: number, filename: string) {
    super(
      `${filename} has schema version ${found}, but this build of Concord knows versions up to ${known}. ` +
        'It was written by a newer Concord: run that version, or restore a backup made by this one.',
    );
    this.name = 'SchemaTooNewError';
  }
}
