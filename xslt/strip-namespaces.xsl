<?xml version="1.0" encoding="UTF-8"?>
<!--
  strip-namespaces.xsl: the same document with no namespaces, names
  reduced to their local part, and namespace declarations gone: what a
  REST client wants from a SOAP answer before gw-mediate xml2json.
  Comments and processing instructions go too.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:template match="*">
    <xsl:element name="{local-name()}">
      <xsl:for-each select="@*">
        <xsl:attribute name="{local-name()}"><xsl:value-of select="."/></xsl:attribute>
      </xsl:for-each>
      <xsl:apply-templates/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="text()">
    <xsl:copy/>
  </xsl:template>

  <xsl:template match="comment() | processing-instruction()"/>
</xsl:stylesheet>
