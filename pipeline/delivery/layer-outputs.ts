import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import type { AttributeValue } from '../readers/feature-source.js';
import type { DeliveryLayer } from './delivery-layers.js';
import { createGeoJsonWriter, type GeoJsonWriter } from './geojson-writer.js';
import { createShapefileWriter, type ShapefileWriter } from './shapefile-writer.js';

/**
 * The files one layer of one county is written to, fed from one stream of rows: a Shapefile in
 * the county's zone, GeoJSON in EPSG:4490 longitude/latitude (RFC 7946), and GeoJSON in the zone
 * with a legacy `crs` member (`DLTB_4527.geojson`), as asked.
 */
export interface LayerRow {
  readonly properties: Readonly<Record<string, AttributeValue>>;
  /** GeoJSON geometry in the zone, millimetre coordinates, counter-clockwise outer rings. */
  readonly zoneJson: string;
  /** The same in EPSG:4490 longitude/latitude; null when no output needs it. */
  readonly lonLatJson: string | null;
}

export interface LayerOutputSpec {
  readonly shapefile: null | {
    readonly prj: string;
    /**
     * false: no .cpg and language driver id 0, the case where readers must detect the encoding.
     * The text is then written as GB18030, whose bytes for every character GBK has (all the
     * sample writes) are GBK's: the file is GBK, it just does not say so.
     */
    readonly cpg: boolean;
    readonly lastUpdate: Date;
  };
  readonly lonLatGeoJson: boolean;
  readonly zoneGeoJson: boolean;
}

export interface LayerOutputs {
  /** Paths written, .shp or .geojson. */
  readonly files: readonly string[];
  readonly needsLonLat: boolean;
  write(row: LayerRow): Promise<void>;
  close(): Promise<void>;
}

/** Opens the outputs of `layer` in `dir` (which must exist); `zoneSrid` names the legacy variant. */
export async function openLayerOutputs(dir: string, layer: DeliveryLayer, zoneSrid: number, spec: LayerOutputSpec): Promise<LayerOutputs> {
  const base = join(dir, layer.fileName);
  let shapefile: ShapefileWriter | null = null;
  let lonLat: GeoJsonWriter | null = null;
  let zone: GeoJsonWriter | null = null;
  const closeAll = () => Promise.all([shapefile?.close(), lonLat?.close(), zone?.close()]);
  try {
    if (spec.shapefile) {
      shapefile = await createShapefileWriter(base, {
        shapeType: 'polygon',
        fields: layer.fields,
        encoding: spec.shapefile.cpg ? 'gbk' : 'gb18030',
        prj: spec.shapefile.prj,
        cpg: spec.shapefile.cpg,
        lastUpdate: spec.shapefile.lastUpdate,
      });
    }
    if (spec.lonLatGeoJson) lonLat = await createGeoJsonWriter(`${base}.geojson`, { crsName: null });
    if (spec.zoneGeoJson) zone = await createGeoJsonWriter(`${base}_${zoneSrid}.geojson`, { crsName: `urn:ogc:def:crs:EPSG::${zoneSrid}` });
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    files: [shapefile?.file, lonLat?.file, zone?.file].filter((file): file is string => file !== undefined),
    needsLonLat: lonLat !== null,
    async write({ properties, zoneJson, lonLatJson }) {
      if (shapefile) await shapefile.write(properties, JSON.parse(zoneJson) as Polygon | MultiPolygon);
      if (lonLat) await lonLat.write(properties, lonLatJson);
      if (zone) await zone.write(properties, zoneJson);
    },
    async close() {
      await closeAll();
    },
  };
}
