/** Hyper-parameter sweeps: grid, random and Bayesian search over run-config fields. */
export * from './schema.ts';
export * from './paths.ts';
export * from './planner.ts';
export * from './result.ts';
export * from './trial.ts';
export * from './runner.ts';
export * from './format.ts';
export * from './meta.ts';
