import { expect } from 'chai';
import { escapeXmlAttribute, escapeXmlText, formatXmlNumber, serializeXmlDocument, xmlElement, xmlText } from '../../../server/wmts/xml-writer.js';
import { parseXml } from './read-xml.js';

describe('server/wmts/xml-writer', () => {
  describe('escapeXmlText', () => {
    it('escapes &, < and > (so that "]]>" cannot appear)', () => {
      expect(escapeXmlText('a & b < c > d ]]>')).to.equal('a &amp; b &lt; c &gt; d ]]&gt;');
    });

    it('leaves quotes, tab, newline and non-ASCII text as they are', () => {
      expect(escapeXmlText('"水田" \'0101\'\t\n')).to.equal('"水田" \'0101\'\t\n');
    });
  });

  describe('escapeXmlAttribute', () => {
    it('escapes both quotes, &, <, > and tab/LF/CR as character references', () => {
      expect(escapeXmlAttribute(`a&b<c>d"e'f\tg\nh\ri`)).to.equal('a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i');
    });
  });

  describe('given characters XML 1.0 forbids (controls, lone surrogates, U+FFFE)', () => {
    it('replaces them with U+FFFD in text and attributes, keeping surrogate pairs', () => {
      const input = 'a\u0000b\u001Fc\uD800d\uDC00e\uFFFEf😀';
      expect(escapeXmlText(input)).to.equal('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf😀');
      expect(escapeXmlAttribute(input)).to.equal('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf😀');
    });
  });

  describe('formatXmlNumber', () => {
    it('writes the shortest text that reads back as the same number', () => {
      for (const value of [0, 1, -180, 90, 559082264.0287178, 20037508.342789244, 0.29858214173896974, 1 / 3]) {
        const text = formatXmlNumber(value);
        expect(Number(text)).to.equal(value);
        expect(text).to.equal(String(value));
      }
    });

    it('never writes exponent notation', () => {
      expect(formatXmlNumber(1.5e-7)).to.equal('0.00000015');
      expect(formatXmlNumber(-2.5e-10)).to.equal('-0.00000000025');
      expect(formatXmlNumber(1e21)).to.equal('1000000000000000000000');
      expect(formatXmlNumber(1.2345e22)).to.equal('12345000000000000000000');
      for (const value of [1.5e-7, -2.5e-10, 1e21, 1.2345e22, 3.0000000000000004e-9]) {
        expect(Number(formatXmlNumber(value))).to.equal(value);
      }
    });

    it('refuses NaN and infinities', () => {
      expect(() => formatXmlNumber(Number.NaN)).to.throw(RangeError, /NaN/);
      expect(() => formatXmlNumber(Number.POSITIVE_INFINITY)).to.throw(RangeError, /Infinity/);
    });
  });

  describe('serializeXmlDocument', () => {
    const hostile = `<script>&amp;"'\t\n]]></script> 三调`;
    const document = serializeXmlDocument(
      xmlElement(
        'root',
        { xmlns: 'urn:test', title: hostile, absent: undefined, count: 2.5e-7 },
        xmlText('text', hostile),
        xmlElement('empty'),
        null,
        false,
        xmlElement('nested', {}, xmlText('number', 559082264.0287178)),
      ),
    );

    it('starts with the XML declaration', () => {
      expect(document.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<root ')).to.equal(true);
    });

    it('reads back with a conforming parser to exactly the text and attribute values written', () => {
      const root = parseXml(document).documentElement!;
      expect(root.getAttribute('title')).to.equal(hostile);
      expect(root.hasAttribute('absent')).to.equal(false);
      expect(root.getAttribute('count')).to.equal('0.00000025');
      expect(root.getElementsByTagName('text')[0]!.textContent).to.equal(hostile);
      expect(root.getElementsByTagName('empty')[0]!.childNodes.length).to.equal(0);
      expect(root.getElementsByTagName('number')[0]!.textContent).to.equal('559082264.0287178');
    });

    it('indents nested elements and keeps text-only elements on one line', () => {
      expect(document).to.include('\n  <empty/>\n  <nested>\n    <number>559082264.0287178</number>\n  </nested>\n</root>\n');
    });
  });
});
