import * as metadataSchema from './001-metadata-schema.js';
import * as publishFunction from './002-publish-function.js';
import * as adminJobs from './003-admin-jobs.js';
import * as analysis from './004-analysis.js';

export interface Migration {
  /** Applied in increasing order; never renumber or edit one that has shipped. */
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  { id: 1, name: 'metadata-schema', sql: metadataSchema.sql },
  { id: 2, name: 'publish-function', sql: publishFunction.sql },
  { id: 3, name: 'admin-jobs', sql: adminJobs.sql },
  { id: 4, name: 'analysis', sql: analysis.sql },
];
