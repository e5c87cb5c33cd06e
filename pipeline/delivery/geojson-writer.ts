import type { AttributeValue } from '../readers/feature-source.js';
import { BufferedFileWriter } from './buffered-file-writer.js';

/**
 * Writes a GeoJSON FeatureCollection one feature at a time, through one buffer, so a file of
 * any size holds one chunk in memory: no document is ever built as a string.
 *
 * RFC 7946 wants longitude/latitude on WGS 84 (CGCS2000 EPSG:4490 agrees with it within the
 * accuracy RFC 7946 assumes) and no `crs` member. Deliveries in Gauss-Kruger zones are still
 * written by ogr2ogr, ArcGIS and QGIS with the legacy GeoJSON 2008 member
 * `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4527"}}`: `crsName` writes it.
 */
export interface GeoJsonWriterOptions {
  /** The legacy `crs` member's name, e.g. `urn:ogc:def:crs:EPSG::4527`; null for RFC 7946 (no member). */
  readonly crsName: string | null;
}

export interface GeoJsonWriter {
  readonly file: string;
  /**
   * Appends a feature; await each call before the next. `geometryJson` is a GeoJSON geometry
   * as text, written as it is (PostGIS's ST_AsGeoJSON output: the caller answers for it).
   */
  write(properties: Readonly<Record<string, AttributeValue | undefined>>, geometryJson: string | null): Promise<void>;
  /** Ends the collection and closes the file; safe to call more than once. */
  close(): Promise<void>;
}

export async function createGeoJsonWriter(file: string, { crsName }: GeoJsonWriterOptions): Promise<GeoJsonWriter> {
  const out = await BufferedFileWriter.create(file);
  const crs = crsName === null ? '' : `"crs":${JSON.stringify({ type: 'name', properties: { name: crsName } })},`;
  await out.append(Buffer.from(`{"type":"FeatureCollection",${crs}"features":[\n`));
  let count = 0;
  let isClosed = false;
  return {
    file,
    async write(properties, geometryJson) {
      if (isClosed) throw new Error(`${file}: write() after close()`);
      const feature = `${count === 0 ? '' : ',\n'}{"type":"Feature","properties":${JSON.stringify(properties)},"geometry":${geometryJson ?? 'null'}}`;
      count++;
      await out.append(Buffer.from(feature));
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        await out.append(Buffer.from('\n]}\n'));
      } finally {
        await out.close();
      }
    },
  };
}
