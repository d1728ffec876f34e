// The API key setting, used the way a person would: the dialog in the page's header.
export const API_KEY = process.env.MMGPT_E2E_API_KEY ?? '';

/** Enters MMGPT_E2E_API_KEY in the page's API key dialog (nothing when it is unset). */
export async function setApiKey(page) {
  if (!API_KEY) return;
  await page.getByRole('button', { name: /^API key:/ }).click();
  const dialog = page.getByRole('dialog', { name: 'API key' });
  await dialog.getByLabel('Key', { exact: true }).fill(API_KEY);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'API key: set' }).waitFor();
}
