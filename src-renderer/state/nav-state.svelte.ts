/** Which tab is shown; kept in the URL's #fragment so a reload stays on the same tab. */
export const TABS = ['model', 'data', 'params', 'train', 'runs', 'evaluate', 'chat', 'export'] as const;
export type Tab = (typeof TABS)[number];

export class NavState {
  tab = $state<Tab>(tabFromHash() ?? 'train');

  go(tab: Tab): void {
    this.tab = tab;
    history.replaceState(null, '', `${location.pathname}${location.search}#${tab}`);
  }

  /** Follows back/forward and hand-edited fragments; returns the remover. */
  listen(): () => void {
    const onHash = () => {
      const tab = tabFromHash();
      if (tab) this.tab = tab;
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }
}

function tabFromHash(): Tab | null {
  const hash = location.hash.replace(/^#/, '');
  return (TABS as readonly string[]).includes(hash) ? (hash as Tab) : null;
}
