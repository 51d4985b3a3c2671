<?xml version="1.0" encoding="UTF-8"?>
<!--
  soap-unwrap.xsl: the first element of the Body of a SOAP 1.1 or 1.2
  envelope, as a document of its own (a Fault comes out as it is, for a
  later stylesheet such as soap-fault-to-problem.xsl).  The namespaces in
  scope in the Body come along, but the envelope's own only if used.
  Anything that is not an envelope is refused with xsl:message.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:s11="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:s12="http://www.w3.org/2003/05/soap-envelope"
    exclude-result-prefixes="s11 s12">
  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:template match="/s11:Envelope | /s12:Envelope" priority="1">
    <xsl:variable name="first" select="(s11:Body | s12:Body)[1]/*[1]"/>
    <xsl:if test="not(s11:Body | s12:Body)">
      <xsl:message terminate="yes">a SOAP envelope without a Body</xsl:message>
    </xsl:if>
    <xsl:apply-templates select="$first" mode="copy"/>
  </xsl:template>

  <xsl:template match="/*">
    <xsl:message terminate="yes">not a SOAP envelope: <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>

  <!-- a copy that leaves out namespaces the content does not use -->
  <xsl:template match="*" mode="copy">
    <xsl:element name="{name()}" namespace="{namespace-uri()}">
      <xsl:for-each select="namespace::*[name() != 'xml']">
        <xsl:if test=". != 'http://schemas.xmlsoap.org/soap/envelope/' and
                      . != 'http://www.w3.org/2003/05/soap-envelope'">
          <xsl:copy-of select="."/>
        </xsl:if>
      </xsl:for-each>
      <xsl:copy-of select="@*"/>
      <xsl:apply-templates mode="copy"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="text() | comment() | processing-instruction()" mode="copy">
    <xsl:copy/>
  </xsl:template>
</xsl:stylesheet>
