/** Saves text as a file through the browser's (or Electron's) own download. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has its own copy once it started; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
