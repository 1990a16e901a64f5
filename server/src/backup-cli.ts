import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { backupSqlite } from './storage/sqlite/backup.js';
import { SQLITE_FILENAME } from './storage/sqlite/create-sqlite-storage.js';

const USAGE = 'usage: node server/dist/backup-cli.js <dataDir> <dest>   (dest: a new file, a folder, or a path ending in / for a folder to create)';

export interface CliOutput {
  log(message: string): void;
  error(message: string): void;
}

/**
 * `backup-cli <dataDir> <dest>`: an online backup of `<dataDir>/concord.sqlite` while the server
 * runs. `dest` is a new file name, or a folder (the copy is then named after the time, to the millisecond): an
 * existing one, or one to create when `dest` ends with a slash.
 * Returns the exit code.
 */
export async function runBackupCli(args: readonly string[], output: CliOutput = console): Promise<number> {
  const [dataDir, dest] = args;
  if (!dataDir || !dest || args.length !== 2) {
    output.error(USAGE);
    return 2;
  }
  const source = join(resolve(dataDir), SQLITE_FILENAME);
  const folder = isDirectory(dest) || dest.endsWith('/') || dest.endsWith(sep);
  const target = folder ? join(resolve(dest), `concord-${timestamp()}.sqlite`) : resolve(dest);
  try {
    if (folder) mkdirSync(resolve(dest), { recursive: true });
    const result = await backupSqlite(source, target);
    output.log(`backed up ${source} to ${result.destPath} (${result.pages} pages, schema v${result.schemaVersion})`);
    output.log(
      `to restore: stop the server, delete ${SQLITE_FILENAME}-wal and ${SQLITE_FILENAME}-shm in the data folder if ` +
        `present, copy ${result.destPath} to ${source}, start the server`,
    );
    return 0;
  } catch (error) {
    output.error(`backup failed: ${(error as Error).message}`);
    return 1;
  }
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** 2025-01-31T12-00-00.123Z: sortable, valid in file names everywhere, and two backups a second apart differ. */
function timestamp(): string {
  return new Date().toISOString().replace(/:/g, '-');
}

// Runs only as the entry script, so that importing this module has no effect.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runBackupCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
