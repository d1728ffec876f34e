import { useEffect, useRef, useState } from 'preact/hooks';
import { API_KEY_CHANGED, ApiError } from '../api';
import { ErrorBox } from '../ui/common';
import { copyText } from '../ui/copy';
import { listModels, streamChat, type ChatMessage, type Sampling, type StreamState } from './openai';

interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** For an answer: why it ended (stop, length, stopped by the user, an error). */
  note?: string;
  streaming?: boolean;
}

interface Settings {
  system: string;
  temperature: string;
  top_p: string;
  top_k: string;
  max_tokens: string;
  repetition_penalty: string;
  seed: string;
}

const DEFAULTS: Settings = {
  system: 'You are a helpful medical assistant.',
  temperature: '0.7',
  top_p: '0.9',
  top_k: '',
  max_tokens: '512',
  repetition_penalty: '',
  seed: '',
};

const SETTINGS_KEY = 'mmgpt.chat.settings';

function loadSettings(): Settings {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<Settings>) };
  } catch {
    return DEFAULTS;
  }
}

/** The sampling fields the user filled in, as numbers; a blank field is left to the server. */
export function samplingOf(s: Settings): Sampling {
  const out: Sampling = {};
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  const put = (k: keyof Sampling, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out[k] = v;
  };
  put('temperature', num(s.temperature));
  put('top_p', num(s.top_p));
  put('top_k', num(s.top_k));
  put('max_tokens', num(s.max_tokens));
  put('repetition_penalty', num(s.repetition_penalty));
  put('seed', num(s.seed));
  return out;
}

function noteOf(state: StreamState): string {
  const parts: string[] = [];
  if (state.finishReason === 'length') parts.push('stopped at the token limit');
  if (state.usage) parts.push(`${state.usage.completion_tokens} tokens`);
  return parts.join(' · ');
}

/** Multi-turn chat with a served model, streamed token by token. */
export function ChatPage({ model: requestedModel }: { model: string }) {
  const [models, setModels] = useState<string[] | null>(null);
  const [modelsError, setModelsError] = useState<unknown>(null);
  const [model, setModel] = useState(requestedModel);
  const [settings, setSettings] = useState<Settings>(loadSettings);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [streaming, setStreaming] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const log = useRef<HTMLOListElement>(null);
  const [keyVersion, setKeyVersion] = useState(0);

  useEffect(() => {
    const onKey = () => setKeyVersion((v) => v + 1);
    window.addEventListener(API_KEY_CHANGED, onKey);
    return () => window.removeEventListener(API_KEY_CHANGED, onKey);
  }, []);

  useEffect(() => {
    const c = new AbortController();
    setModelsError(null);
    listModels(c.signal)
      .then((ids) => {
        setModels(ids);
        setModel((m) => (m && ids.includes(m) ? m : requestedModel && ids.includes(requestedModel) ? requestedModel : ids[0] ?? ''));
      })
      .catch((e) => {
        if (c.signal.aborted) return;
        setModels([]);
        setModelsError(e instanceof ApiError && e.status === 404 ? new Error('This gateway does not serve chat yet (GET /v1/models answered 404).') : e);
      });
    return () => c.abort();
  }, [keyVersion, requestedModel]);

  useEffect(() => {
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    } catch {
      // not kept: fine
    }
  }, [settings]);

  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns]);

  useEffect(() => () => controller.current?.abort(), []);

  function setting(name: keyof Settings, value: string) {
    setSettings({ ...settings, [name]: value });
  }

  async function send(e?: Event) {
    e?.preventDefault();
    const text = input.trim();
    if (!text || streaming || !model) return;
    const history: Turn[] = [...turns, { role: 'user', content: text }];
    const messages: ChatMessage[] = [
      ...(settings.system.trim() ? [{ role: 'system' as const, content: settings.system.trim() }] : []),
      ...history.filter((t) => !t.note?.startsWith('error')).map((t) => ({ role: t.role, content: t.content })),
    ];
    setTurns([...history, { role: 'assistant', content: '', streaming: true }]);
    setInput('');
    setError(null);
    setStreaming(true);
    const c = new AbortController();
    controller.current = c;
    const show = (content: string, note: string | undefined, still: boolean) =>
      setTurns([...history, { role: 'assistant', content, note, streaming: still }]);
    let latest = '';
    try {
      const final = await streamChat(model, messages, samplingOf(settings), (s) => {
        latest = s.text;
        show(s.text, undefined, true);
      }, c.signal);
      // Stop ends the stream quietly (the body is cancelled): the answer is as far as it got
      show(final.text, c.signal.aborted ? 'stopped' : noteOf(final) || undefined, false);
    } catch (err) {
      if (c.signal.aborted) {
        show(latest, 'stopped', false);
      } else {
        show(latest, 'error: the answer broke off', false);
        setError(err);
      }
    } finally {
      setStreaming(false);
      controller.current = null;
    }
  }

  function stop() {
    controller.current?.abort();
  }

  function clear() {
    stop();
    setTurns([]);
    setError(null);
    document.getElementById('chat-input')?.focus();
  }

  return (
    <section aria-labelledby="chat-title" class="chat">
      <h1 id="chat-title" tabIndex={-1}>Chat</h1>
      <div class="chat-layout">
        <details class="settings" open={window.matchMedia?.('(min-width: 900px)').matches}>
          <summary>Model and sampling</summary>
          <div class="field">
            <label for="chat-model">Model</label>
            <select id="chat-model" value={model} onChange={(e) => setModel(e.currentTarget.value)} disabled={!models || models.length === 0}>
              {models === null && <option value="">Loading…</option>}
              {models?.length === 0 && <option value="">No models</option>}
              {models?.map((m) => <option key={m} value={m}>{m}</option>)}
            </select>
          </div>
          <ErrorBox error={modelsError} />
          <div class="field">
            <label for="chat-system">System prompt</label>
            <textarea id="chat-system" rows={3} value={settings.system} onInput={(e) => setting('system', e.currentTarget.value)} />
          </div>
          <div class="grid2">
            <NumberField id="temperature" label="Temperature" value={settings.temperature} step="0.05" min="0" max="2" onInput={(v) => setting('temperature', v)} />
            <NumberField id="top_p" label="Top p" value={settings.top_p} step="0.05" min="0" max="1" onInput={(v) => setting('top_p', v)} />
            <NumberField id="top_k" label="Top k" value={settings.top_k} step="1" min="0" onInput={(v) => setting('top_k', v)} />
            <NumberField id="max_tokens" label="Max tokens" value={settings.max_tokens} step="1" min="1" onInput={(v) => setting('max_tokens', v)} />
            <NumberField id="repetition_penalty" label="Repetition penalty" value={settings.repetition_penalty} step="0.05" min="0" onInput={(v) => setting('repetition_penalty', v)} />
            <NumberField id="seed" label="Seed" value={settings.seed} step="1" min="0" onInput={(v) => setting('seed', v)} />
          </div>
          <p class="hint">A blank field leaves the server’s default.</p>
          <button type="button" onClick={() => setSettings(DEFAULTS)}>Reset settings</button>
        </details>

        <div class="conversation">
          <ol class="turns" ref={log} aria-label="Conversation" aria-live="polite" aria-busy={streaming}>
            {turns.length === 0 && <li class="empty">Ask something to start.</li>}
            {turns.map((t, i) => (
              <li key={i} class={`turn ${t.role}`} data-role={t.role} data-streaming={t.streaming ? 'true' : 'false'}>
                <span class="who">{t.role === 'user' ? 'You' : 'Assistant'}</span>
                <div class="text">{t.content || (t.streaming ? '…' : '')}</div>
                <div class="turn-foot">
                  {t.note && <span class="note">{t.note}</span>}
                  {!t.streaming && t.content && <CopyButton text={t.content} what={t.role === 'user' ? 'your message' : 'the answer'} />}
                </div>
              </li>
            ))}
          </ol>
          <ErrorBox error={error} />
          <form class="composer" onSubmit={send}>
            <label for="chat-input" class="visually-hidden">Message</label>
            <textarea
              id="chat-input"
              rows={3}
              placeholder="Type a message; Enter sends, Shift+Enter starts a new line"
              value={input}
              onInput={(e) => setInput(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                  e.preventDefault();
                  void send();
                }
              }}
            />
            <div class="row">
              {streaming ? (
                <button type="button" class="danger" onClick={stop}>Stop</button>
              ) : (
                <button type="submit" class="primary" disabled={!model || !input.trim()}>Send</button>
              )}
              <button type="button" onClick={clear} disabled={turns.length === 0}>Clear</button>
            </div>
          </form>
        </div>
      </div>
    </section>
  );
}

function NumberField({ id, label, value, onInput, step, min, max }: { id: string; label: string; value: string; onInput: (v: string) => void; step: string; min?: string; max?: string }) {
  return (
    <div class="field">
      <label for={`chat-${id}`}>{label}</label>
      <input id={`chat-${id}`} type="number" inputMode="decimal" step={step} min={min} max={max} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [done, setDone] = useState('');
  return (
    <>
      <button
        type="button"
        class="small"
        aria-label={`Copy ${what}`}
        onClick={async () => {
          setDone((await copyText(text)) ? 'Copied' : 'Copy failed');
          setTimeout(() => setDone(''), 2000);
        }}
      >
        Copy
      </button>
      <span class="copied" role="status">{done}</span>
    </>
  );
}
