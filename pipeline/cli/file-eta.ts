/** ` | ETA 1m05s` for the file being read when it says how many features it holds, else ''. */
export function fileEta(features: number, fileFeatures: number | null, seconds: number): string {
  if (!fileFeatures || features <= 0 || seconds <= 0 || features >= fileFeatures) return '';
  const remaining = Math.ceil(((fileFeatures - features) * seconds) / features);
  const minutes = Math.floor(remaining / 60);
  return ` | ETA ${minutes > 0 ? `${minutes}m${String(remaining % 60).padStart(2, '0')}s` : `${remaining}s`}`;
}
