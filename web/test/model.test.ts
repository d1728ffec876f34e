import { describe, expect, it } from 'vitest';
import { ago, applyEvent, canMove, etaText, formatDuration, JOB_TYPES, percentOf, progressUnit, type JobEvent, type JobStatus } from '../src/jobs/model';

const queued: JobStatus = {
  id: 'j1', type: 'sft', state: 'QUEUED', params: {}, children: [], attempts: 0, metrics: {}, artifacts: [],
  submitted_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', seq: 1,
};

function event(seq: number, state: JobEvent['state'], extra: Partial<JobEvent> = {}): JobEvent {
  return { job_id: 'j1', seq, time: `2026-01-01T00:00:0${seq}Z`, state, attempt: 1, metrics: {}, artifacts: [], ...extra };
}

describe('applyEvent (as protocol JobStatus.apply)', () => {
  it('folds progress, metrics and artifacts in and stamps start and end', () => {
    let s = applyEvent(queued, event(2, 'RUNNING'));
    s = applyEvent(s, event(3, 'RUNNING', { progress: { step: 5, total_steps: 10, percent: 50, eta_seconds: 4 }, metrics: { loss: 2 } }));
    s = applyEvent(s, event(4, 'SUCCEEDED', { metrics: { eval_loss: 1.5 }, artifacts: ['adapters/j1'] }));
    expect(s.state).toBe('SUCCEEDED');
    expect(s.progress?.step).toBe(5);
    expect(s.metrics).toEqual({ loss: 2, eval_loss: 1.5 });
    expect(s.artifacts).toEqual(['adapters/j1']);
    expect(s.started_at).toBe('2026-01-01T00:00:02Z');
    expect(s.ended_at).toBe('2026-01-01T00:00:04Z');
    expect(s.attempts).toBe(1);
    expect(s.seq).toBe(4);
  });

  it('ignores duplicates, other jobs and moves the state machine forbids', () => {
    const running = applyEvent(queued, event(2, 'RUNNING'));
    expect(applyEvent(running, event(2, 'FAILED'))).toBe(running);
    expect(applyEvent(running, { ...event(3, 'FAILED'), job_id: 'other' })).toBe(running);
    expect(applyEvent(queued, event(2, 'SUCCEEDED'))).toBe(queued);
    const done = applyEvent(running, event(3, 'CANCELLED'));
    expect(applyEvent(done, event(4, 'RUNNING'))).toBe(done);
  });

  it('knows the transitions of protocol JobState', () => {
    expect(canMove('QUEUED', 'RUNNING')).toBe(true);
    expect(canMove('QUEUED', 'RETRYING')).toBe(false);
    expect(canMove('RUNNING', 'RUNNING')).toBe(true);
    expect(canMove('RETRYING', 'SUCCEEDED')).toBe(false);
    expect(canMove('FAILED', 'RUNNING')).toBe(false);
  });
});

describe('formatting', () => {
  it('writes durations, ETAs and ages', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(7500)).toBe('2 h 05 min');
    expect(etaText({ state: 'RUNNING', progress: { step: 1, total_steps: 4, percent: 25 } })).toBe('estimating…');
    expect(etaText({ state: 'RUNNING', progress: { step: 1, total_steps: 4, percent: 25, eta_seconds: 61 } })).toBe('1 min 01 s');
    expect(etaText({ state: 'SUCCEEDED', progress: { step: 4, total_steps: 4, percent: 100, eta_seconds: 0 } })).toBe('');
    expect(percentOf({ state: 'SUCCEEDED', progress: null })).toBe(100);
    expect(ago('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:30Z'))).toBe('5 min ago');
  });
});

describe('job types', () => {
  it('offers every type the gateway takes, and counts a batch-inference job in queries', () => {
    expect(JOB_TYPES).toEqual(['pt', 'sft', 'dpo', 'merge', 'pipeline', 'batch-inference']);
    expect(progressUnit('batch-inference')).toBe('query');
    expect(progressUnit('sft')).toBe('step');
    expect(progressUnit(undefined)).toBe('step');
  });
});
