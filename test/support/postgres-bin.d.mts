/** Types of postgres-bin.mjs (plain JavaScript so scripts/run-postgres-suite.mjs can import it). */
export declare function findPostgresBin(): string | undefined;
export declare function postgresBinPlaces(): string;
export declare function missingPostgresMessage(orDatabaseUrl?: boolean): string;
export declare function findPgDump(): string;
