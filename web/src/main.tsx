import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { ChatPage } from './chat/ChatPage';
import { JobPage } from './jobs/JobPage';
import { JobsPage } from './jobs/JobsPage';
import { NewJobPage } from './jobs/NewJobPage';
import { ApiKeyDialog } from './ui/ApiKeyDialog';
import { parseRoute, type Route } from './ui/route';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const route = useRoute();

  // A new page: its title for the tab and for screen readers, and focus at its heading.
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('main h1');
    if (heading) {
      document.title = `${heading.textContent ?? ''} · MyMedicalGPT`;
      heading.focus({ preventScroll: true });
    }
  }, [route.page, route.id]);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">MyMedicalGPT</span>
        <nav aria-label="Pages">
          <a href="#/chat" aria-current={route.page === 'chat' ? 'page' : undefined}>Chat</a>
          <a href="#/jobs" aria-current={route.page.startsWith('job') ? 'page' : undefined}>Jobs</a>
        </nav>
        <ApiKeyDialog />
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'chat' && <ChatPage model={route.query.get('model') ?? ''} />}
        {route.page === 'jobs' && <JobsPage />}
        {route.page === 'job-new' && <NewJobPage type={route.query.get('type') ?? ''} />}
        {route.page === 'job' && route.id && <JobPage key={route.id} id={route.id} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
