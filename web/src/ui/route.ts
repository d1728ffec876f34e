/** Pages live in the URL's fragment (#/chat, #/jobs, #/jobs/new, #/jobs/<id>), so the server serves one file. */
export interface Route {
  page: 'chat' | 'jobs' | 'job-new' | 'job';
  id?: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?', 2);
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'jobs') {
    if (parts.length === 1) return { page: 'jobs', query };
    if (parts[1] === 'new') return { page: 'job-new', query };
    return { page: 'job', id: parts[1], query };
  }
  return { page: 'chat', query };
}

export function jobHref(id: string): string {
  return `#/jobs/${encodeURIComponent(id)}`;
}
