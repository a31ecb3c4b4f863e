import type { ErrorCode } from '@shared/protocol';

/** Why an uploaded log was refused, naming its line (numbered from 1, the header being line 1). */
export class ReplayImportError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
    readonly code: ErrorCode = 'BadRequest',
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'ReplayImportError';
  }
}
