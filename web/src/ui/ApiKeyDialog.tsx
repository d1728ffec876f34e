import { useEffect, useRef, useState } from 'preact/hooks';
import { API_KEY_CHANGED, apiKey, rememberedOnDevice, setApiKey } from '../api';

/** The API key: sent as `Authorization: Bearer` with every call once set. */
export function ApiKeyDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [hasKey, setHasKey] = useState(() => apiKey() !== '');
  const [draft, setDraft] = useState('');
  const [remember, setRemember] = useState(() => rememberedOnDevice());

  useEffect(() => {
    const onChange = () => setHasKey(apiKey() !== '');
    window.addEventListener(API_KEY_CHANGED, onChange);
    const onAsk = () => open();
    window.addEventListener('mmgpt-ask-api-key', onAsk);
    return () => {
      window.removeEventListener(API_KEY_CHANGED, onChange);
      window.removeEventListener('mmgpt-ask-api-key', onAsk);
    };
  }, []);

  function open() {
    setDraft(apiKey());
    setRemember(rememberedOnDevice());
    dialog.current?.showModal();
  }

  function save(e: Event) {
    e.preventDefault();
    setApiKey(draft.trim(), remember);
    dialog.current?.close();
  }

  return (
    <>
      <button type="button" class="key-button" onClick={open} aria-haspopup="dialog">
        API key: {hasKey ? 'set' : 'none'}
      </button>
      <dialog ref={dialog} aria-labelledby="key-title">
        <form method="dialog" onSubmit={save}>
          <h2 id="key-title">API key</h2>
          <p class="hint">
            Sent as <code>Authorization: Bearer …</code> with every request, when the gateway has keys configured.
          </p>
          <label for="api-key">Key</label>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
          <label class="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
            Remember on this device
          </label>
          <div class="row">
            <button type="submit" class="primary">Save</button>
            <button type="button" onClick={() => { setDraft(''); setApiKey('', false); dialog.current?.close(); }}>
              Forget key
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>Close</button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** Asks the user for a key (after a 401). */
export function askForApiKey(): void {
  window.dispatchEvent(new Event('mmgpt-ask-api-key'));
}
