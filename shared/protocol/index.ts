export * from './actions';
export * from './classroom';
export * from './errors';
export * from './events';
export * from './rest';
export * from './roles';
export * from './watch-reducer';
export * from './assign-roles';
