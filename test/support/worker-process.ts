import { ServiceProcess } from './service-process';

export { freePort } from './service-process';

export interface ReadyBody {
  status: string;
  consumer: string;
  store: string;
  stats: { inserted: number; duplicates: number; deadLettered: number; retries: number };
}

/** The built worker as a real process (see ServiceProcess). */
export type WorkerProcess = ServiceProcess<ReadyBody>;
export const WorkerProcess = {
  start: (name: string, env: Record<string, string>): Promise<WorkerProcess> =>
    ServiceProcess.start<ReadyBody>('worker', name, env),
};
