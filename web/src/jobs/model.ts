/**
 * The gateway's job records (protocol's JobStatus, JobEvent, Progress, JobPage, Artifact; JSON in
 * snake_case) and what the pages compute from them.
 */

export type JobState = 'QUEUED' | 'RUNNING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type JobType = 'pt' | 'sft' | 'dpo' | 'merge' | 'pipeline' | 'batch-inference';

export const JOB_TYPES: JobType[] = ['pt', 'sft', 'dpo', 'merge', 'pipeline', 'batch-inference'];
export const JOB_STATES: JobState[] = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface Progress {
  step: number;
  total_steps: number;
  percent: number;
  eta_seconds?: number | null;
}

export interface JobStatus {
  id: string;
  type: JobType;
  state: JobState;
  params: Record<string, unknown>;
  parent_id?: string | null;
  children: string[];
  attempts: number;
  progress?: Progress | null;
  metrics: Record<string, number>;
  artifacts: string[];
  error?: string | null;
  submitted_at: string;
  started_at?: string | null;
  updated_at: string;
  ended_at?: string | null;
  seq: number;
  worker_id?: string | null;
}

export interface JobEvent {
  job_id: string;
  seq: number;
  time: string;
  state: JobState;
  attempt: number;
  progress?: Progress | null;
  metrics: Record<string, number>;
  artifacts: string[];
  error?: string | null;
  worker_id?: string | null;
}

export interface JobPage {
  items: JobStatus[];
  total: number;
  offset: number;
  limit: number;
}

export interface Artifact {
  path: string;
  kind: 'model' | 'adapter';
  size_bytes: number;
  modified_at: string;
}

/** What a job's progress counts: a batch-inference job answers queries, the others take steps. */
export function progressUnit(type: JobType | undefined): string {
  return type === 'batch-inference' ? 'query' : 'step';
}

export function isTerminal(state: JobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}

/** protocol's JobState.successors. */
const SUCCESSORS: Record<JobState, JobState[]> = {
  QUEUED: ['RUNNING', 'CANCELLED', 'FAILED'],
  RUNNING: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'],
  RETRYING: ['RUNNING', 'FAILED', 'CANCELLED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

/** protocol's JobState.canMoveTo. */
export function canMove(from: JobState, to: JobState): boolean {
  return SUCCESSORS[from]?.includes(to) ?? false;
}

/**
 * The snapshot with the event folded in, as protocol's JobStatus.apply does: unchanged for another
 * job's event, a duplicate (seq not above the snapshot's) or a move the state machine forbids.
 */
export function applyEvent(status: JobStatus, event: JobEvent): JobStatus {
  if (event.job_id !== status.id || event.seq <= status.seq || !canMove(status.state, event.state)) {
    return status;
  }
  const artifacts = [...status.artifacts];
  for (const a of event.artifacts ?? []) if (!artifacts.includes(a)) artifacts.push(a);
  const terminal = isTerminal(event.state);
  return {
    ...status,
    state: event.state,
    attempts: Math.max(status.attempts, event.attempt),
    progress: event.progress ?? status.progress,
    metrics: { ...status.metrics, ...(event.metrics ?? {}) },
    artifacts,
    error: event.error ?? null,
    started_at: status.started_at ?? (event.state === 'RUNNING' ? event.time : null),
    updated_at: event.time,
    ended_at: terminal ? event.time : null,
    seq: event.seq,
    worker_id: event.worker_id ?? status.worker_id,
  };
}

/** "2 h 05 min", "3 min 20 s", "45 s". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

/** What the ETA column says: the estimate while running, else nothing. */
export function etaText(job: Pick<JobStatus, 'state' | 'progress'>): string {
  if (job.state !== 'RUNNING' || !job.progress) return '';
  const eta = job.progress.eta_seconds;
  if (eta === undefined || eta === null) return 'estimating…';
  return formatDuration(eta);
}

export function percentOf(job: Pick<JobStatus, 'state' | 'progress'>): number {
  if (job.state === 'SUCCEEDED') return 100;
  return Math.max(0, Math.min(100, job.progress?.percent ?? 0));
}

/** "3 s ago", "5 min ago", or the date for anything older than a day. */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

export function elapsed(job: Pick<JobStatus, 'started_at' | 'ended_at'>, now: number = Date.now()): string {
  if (!job.started_at) return '';
  const start = Date.parse(job.started_at);
  const end = job.ended_at ? Date.parse(job.ended_at) : now;
  return formatDuration((end - start) / 1000);
}
