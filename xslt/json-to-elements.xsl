<?xml version="1.0" encoding="UTF-8"?>
<!--
  json-to-elements.xsl: the lossless XML of gw-mediate json2xml
  (fn:json-to-xml) as plain elements, one per member, named by its key:
  an array becomes elements repeated under the key, an array in an array
  items named "item", null an empty element.  Keys that are not XML
  names have their odd characters replaced by "_" (and a leading "_"
  before a digit).  Useful before a stylesheet written for plain XML.

  Parameters:
    root       the element the top value goes in (default "root")
    namespace  when not empty, the namespace of every element made
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:strip-space elements="fn:map fn:array"/>
  <xsl:param name="root" select="'root'"/>
  <xsl:param name="namespace" select="''"/>

  <xsl:template match="/fn:*">
    <xsl:element name="{$root}" namespace="{$namespace}">
      <xsl:apply-templates select="." mode="content">
        <xsl:with-param name="name" select="'item'"/>
      </xsl:apply-templates>
    </xsl:element>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">not the lossless XML of JSON: <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>

  <!-- the content of the element a value makes -->
  <xsl:template match="fn:map" mode="content">
    <xsl:for-each select="fn:*">
      <xsl:variable name="n">
        <xsl:call-template name="name">
          <xsl:with-param name="k" select="@key"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:apply-templates select="." mode="member">
        <xsl:with-param name="name" select="$n"/>
      </xsl:apply-templates>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="fn:array" mode="content">
    <xsl:param name="name"/>
    <xsl:apply-templates select="fn:*" mode="member">
      <xsl:with-param name="name" select="'item'"/>
    </xsl:apply-templates>
  </xsl:template>

  <xsl:template match="fn:string | fn:number | fn:boolean" mode="content">
    <xsl:value-of select="."/>
  </xsl:template>

  <xsl:template match="fn:null" mode="content"/>

  <!-- a member: an element, or one element per item of an array -->
  <xsl:template match="fn:*" mode="member">
    <xsl:param name="name"/>
    <xsl:element name="{$name}" namespace="{$namespace}">
      <xsl:apply-templates select="." mode="content"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="fn:map/fn:array" mode="member">
    <xsl:param name="name"/>
    <xsl:for-each select="fn:*">
      <xsl:element name="{$name}" namespace="{$namespace}">
        <xsl:apply-templates select="." mode="content"/>
      </xsl:element>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="name">
    <xsl:param name="k"/>
    <xsl:variable name="odd"> !"#$%&amp;'()*+,/:;&lt;=&gt;?@[\]^`{|}~</xsl:variable>
    <xsl:variable name="t" select="translate($k, $odd, '_______________________________')"/>
    <xsl:choose>
      <xsl:when test="$t = ''">_</xsl:when>
      <xsl:when test="contains('0123456789-.', substring($t, 1, 1))">
        <xsl:value-of select="concat('_', $t)"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$t"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
