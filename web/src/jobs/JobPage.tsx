import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describe, getJson, postJson } from '../api';
import { ErrorBox, Eta, ProgressBar, StateBadge } from '../ui/common';
import { formatValue, LineChart } from '../ui/LineChart';
import { jobHref } from '../ui/route';
import { followJob, sleep, type FollowMode } from './follow';
import { ago, applyEvent, elapsed, etaText, isTerminal, type JobEvent, type JobStatus } from './model';
import { CHARTS, MetricSeries } from './series';

const CHILD_REFRESH_MS = 2000;

const MODE_TEXT: Record<FollowMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Polling',
  ended: 'Finished',
};

/** One job: state, progress, live curves, a pipeline's stages, artifacts, error; cancel. */
export function JobPage({ id }: { id: string }) {
  const [job, setJob] = useState<JobStatus | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [mode, setMode] = useState<FollowMode>('connecting');
  const [modeDetail, setModeDetail] = useState('');
  const [version, setVersion] = useState(0); // bumps when a curve changes
  const series = useRef(new MetricSeries()).current;
  const [children, setChildren] = useState<JobStatus[]>([]);

  // The snapshot first, then the event stream (history, then live) with polling as the fallback.
  useEffect(() => {
    const controller = new AbortController();
    const signal = controller.signal;
    let current: JobStatus | null = null;
    const update = (next: JobStatus) => {
      current = next;
      setJob(next);
    };
    // A snapshot from GET may be older than the events already folded in (the gateway reads the
    // status and event topics separately): only a newer or equal one replaces what is shown.
    const offer = (snapshot: JobStatus) => {
      if (!current || snapshot.seq >= current.seq) update(snapshot);
    };
    const addPoint = (step: number | undefined, metrics: Record<string, number> | undefined) => {
      if (step !== undefined && series.add(step, metrics)) setVersion((v) => v + 1);
    };
    (async () => {
      try {
        update(await getJson<JobStatus>(`v1/jobs/${encodeURIComponent(id)}`, signal));
      } catch (e) {
        if (!signal.aborted) setLoadError(e);
        return;
      }
      await followJob(
        id,
        {
          onEvent(event: JobEvent) {
            addPoint(event.progress?.step, event.metrics);
            if (current) update(applyEvent(current, event));
            if (isTerminal(event.state)) {
              // the final snapshot also carries what the gateway adds (children, timestamps)
              getJson<JobStatus>(`v1/jobs/${encodeURIComponent(id)}`, signal).then(offer, () => undefined);
            }
          },
          onSnapshot(status: JobStatus) {
            addPoint(status.progress?.step, status.metrics);
            offer(status);
          },
          onMode(m, detail) {
            setMode(m);
            setModeDetail(detail ?? '');
          },
          onError(message) {
            setLoadError(new Error(message));
          },
        },
        signal,
      );
    })();
    return () => controller.abort();
  }, [id]);

  // A pipeline's stages: their snapshots, refreshed while the pipeline runs.
  const childIds = job?.children.join(',') ?? '';
  const pipelineEnded = job ? isTerminal(job.state) : false;
  useEffect(() => {
    if (!childIds) return;
    const controller = new AbortController();
    (async () => {
      for (;;) {
        const ids = childIds.split(',');
        const found = await Promise.all(
          ids.map((c) => getJson<JobStatus>(`v1/jobs/${encodeURIComponent(c)}`, controller.signal).catch(() => null)),
        );
        if (controller.signal.aborted) return;
        setChildren(found.filter((c): c is JobStatus => c !== null));
        if (pipelineEnded) return;
        await sleep(CHILD_REFRESH_MS, controller.signal);
        if (controller.signal.aborted) return;
      }
    })();
    return () => controller.abort();
  }, [childIds, pipelineEnded]);

  const charts = useMemo(
    () =>
      CHARTS.map((c) => ({
        ...c,
        lines: c.metrics.filter((m) => series.get(m).length > 0).map((m) => ({ label: m, points: series.get(m) })),
      })).filter((c) => c.lines.length > 0 && (c.id !== 'throughput' || c.lines[0].points.length > 1)),
    [version],
  );

  if (loadError && !job) {
    return (
      <section>
        <h1 tabIndex={-1}>Job {id}</h1>
        <ErrorBox error={loadError} />
        <p><a href="#/jobs">All jobs</a></p>
      </section>
    );
  }
  if (!job) {
    return (
      <section>
        <h1 tabIndex={-1}>Job {id}</h1>
        <p aria-live="polite">Loading…</p>
      </section>
    );
  }

  const metricNames = Object.keys(job.metrics).sort();
  return (
    <section aria-labelledby="job-title" class="job" data-state={job.state}>
      <p class="crumbs"><a href="#/jobs">Jobs</a>{job.parent_id && <> › <a href={jobHref(job.parent_id)}>{job.parent_id}</a></>}</p>
      <div class="title-row">
        <h1 id="job-title" tabIndex={-1}>
          {job.type} job <span class="mono">{job.id}</span>
        </h1>
        {!isTerminal(job.state) && <CancelButton id={job.id} />}
      </div>

      <div class="status-line" aria-live="polite">
        <StateBadge state={job.state} />
        <span class={`live live-${mode}`} title={modeDetail || undefined}>{MODE_TEXT[mode]}</span>
        {modeDetail && <span class="visually-hidden">{modeDetail}</span>}
      </div>

      <ProgressBar job={job} label="Progress" />
      <dl class="facts">
        <dt>ETA</dt>
        <dd>{etaText(job) ? <Eta job={job} /> : '—'}</dd>
        <dt>Attempts</dt>
        <dd>{job.attempts}</dd>
        <dt>Submitted</dt>
        <dd><time dateTime={job.submitted_at}>{ago(job.submitted_at)}</time></dd>
        {job.started_at && (<><dt>Running time</dt><dd>{elapsed(job)}</dd></>)}
        {job.worker_id && (<><dt>Worker</dt><dd class="mono">{job.worker_id}</dd></>)}
      </dl>

      {job.error && (
        <div class="error" role="alert" id="job-error">
          <h2>{job.state === 'FAILED' ? 'Why it failed' : 'Last error'}</h2>
          <pre>{job.error}</pre>
        </div>
      )}
      {loadError && <ErrorBox error={loadError} />}

      {job.children.length > 0 && (
        <section aria-labelledby="stages-title">
          <h2 id="stages-title">Stages</h2>
          <ol class="stages">
            {job.children.map((cid) => {
              const child = children.find((c) => c.id === cid);
              return (
                <li key={cid} data-job-id={cid}>
                  <a href={jobHref(cid)}>{cid}</a>
                  {child ? (
                    <>
                      <StateBadge state={child.state} />
                      <ProgressBar job={child} label={`Progress of ${cid}`} />
                      <Eta job={child} />
                    </>
                  ) : (
                    <span class="sub">not started</span>
                  )}
                </li>
              );
            })}
          </ol>
        </section>
      )}

      {charts.length > 0 && (
        <section aria-labelledby="curves-title">
          <h2 id="curves-title">Curves</h2>
          <div class="charts">
            {charts.map((c) => (
              <LineChart key={c.id} id={c.id} title={c.title} series={c.lines} xLabel="step" yLabel={c.yLabel} />
            ))}
          </div>
        </section>
      )}

      {metricNames.length > 0 && (
        <section aria-labelledby="metrics-title">
          <h2 id="metrics-title">Latest metrics</h2>
          <table class="metrics">
            <tbody>
              {metricNames.map((m) => (
                <tr key={m}>
                  <th scope="row">{m}</th>
                  <td>{formatValue(job.metrics[m])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section aria-labelledby="artifacts-title">
        <h2 id="artifacts-title">Artifacts</h2>
        {job.artifacts.length === 0 ? (
          <p class="empty">{isTerminal(job.state) ? 'None.' : 'None yet.'}</p>
        ) : (
          <ul class="artifacts">
            {job.artifacts.map((a) => (
              <li key={a}>
                <code>{a}</code>
                {a.startsWith('models/') && <a href={`#/chat?model=${encodeURIComponent(a)}`}>Chat with it</a>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <details>
        <summary>Parameters</summary>
        <pre class="params">{JSON.stringify(job.params, null, 2)}</pre>
      </details>
    </section>
  );
}

function CancelButton({ id }: { id: string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);

  async function cancel() {
    setBusy(true);
    setError('');
    try {
      await postJson(`v1/jobs/${encodeURIComponent(id)}/cancel`, {});
      setAsking(false);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (!asking) {
    return <button type="button" class="danger" onClick={() => setAsking(true)}>Cancel job</button>;
  }
  return (
    <div class="confirm" role="group" aria-label="Confirm cancel">
      <span>Stop this job?</span>
      <button ref={yes} type="button" class="danger" disabled={busy} onClick={cancel}>Yes, cancel it</button>
      <button type="button" disabled={busy} onClick={() => setAsking(false)}>Keep running</button>
      {error && <span role="alert" class="error-inline">{error}</span>}
    </div>
  );
}
