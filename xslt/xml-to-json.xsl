<?xml version="1.0" encoding="UTF-8"?>
<!--
  xml-to-json.xsl: the lossless XML of gw-mediate json2xml (XPath 3.1
  fn:json-to-xml: map, array, string, number, boolean, null) back to JSON
  text, in XSLT 1.0, for a chain that wants JSON without an xml2json step.
  Strings marked escaped="true" keep their JSON escapes.  Numbers are
  written as they are (no check: use gw-mediate xml2json to have them
  checked).
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions">
  <xsl:output method="text" media-type="application/json" encoding="UTF-8"/>
  <xsl:strip-space elements="fn:map fn:array"/>

  <xsl:template match="/">
    <xsl:apply-templates select="*"/>
    <xsl:text>&#10;</xsl:text>
  </xsl:template>

  <xsl:template match="/*[not(self::fn:*)]" priority="2">
    <xsl:message terminate="yes">not the lossless XML of JSON: <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>

  <xsl:template name="key">
    <xsl:if test="position() &gt; 1">,</xsl:if>
    <xsl:if test="parent::fn:map">
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="@key"/>
        <xsl:with-param name="escaped" select="@escaped-key = 'true' or @escaped-key = '1'"/>
      </xsl:call-template>
      <xsl:text>:</xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template match="fn:map">
    <xsl:call-template name="key"/>
    <xsl:text>{</xsl:text>
    <xsl:apply-templates select="fn:*"/>
    <xsl:text>}</xsl:text>
  </xsl:template>

  <xsl:template match="fn:array">
    <xsl:call-template name="key"/>
    <xsl:text>[</xsl:text>
    <xsl:apply-templates select="fn:*"/>
    <xsl:text>]</xsl:text>
  </xsl:template>

  <xsl:template match="fn:string">
    <xsl:call-template name="key"/>
    <xsl:call-template name="string">
      <xsl:with-param name="s" select="."/>
      <xsl:with-param name="escaped" select="@escaped = 'true' or @escaped = '1'"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="fn:number">
    <xsl:call-template name="key"/>
    <xsl:value-of select="normalize-space(.)"/>
  </xsl:template>

  <xsl:template match="fn:boolean">
    <xsl:call-template name="key"/>
    <xsl:choose>
      <xsl:when test="normalize-space(.) = 'true' or normalize-space(.) = '1'">true</xsl:when>
      <xsl:otherwise>false</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="fn:null">
    <xsl:call-template name="key"/>
    <xsl:text>null</xsl:text>
  </xsl:template>

  <xsl:template name="string">
    <xsl:param name="s"/>
    <xsl:param name="escaped" select="false()"/>
    <xsl:text>"</xsl:text>
    <xsl:call-template name="escape">
      <xsl:with-param name="s" select="$s"/>
      <xsl:with-param name="chars">
        <xsl:choose>
          <!-- escaped text has its backslashes already -->
          <xsl:when test="$escaped">&quot;&#9;&#10;&#13;</xsl:when>
          <xsl:otherwise>&quot;\&#9;&#10;&#13;</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:text>"</xsl:text>
  </xsl:template>

  <xsl:template name="escape">
    <xsl:param name="s"/>
    <xsl:param name="chars"/>
    <xsl:variable name="c" select="substring(translate($s, concat($chars, translate($s, $chars, '')), $chars), 1, 1)"/>
    <xsl:choose>
      <xsl:when test="$c = ''"><xsl:value-of select="$s"/></xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="substring-before($s, $c)"/>
        <xsl:choose>
          <xsl:when test="$c = '&quot;'">\"</xsl:when>
          <xsl:when test="$c = '\'">\\</xsl:when>
          <xsl:when test="$c = '&#9;'">\t</xsl:when>
          <xsl:when test="$c = '&#10;'">\n</xsl:when>
          <xsl:otherwise>\r</xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="escape">
          <xsl:with-param name="s" select="substring-after($s, $c)"/>
          <xsl:with-param name="chars" select="$chars"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
