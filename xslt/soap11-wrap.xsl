<?xml version="1.0" encoding="UTF-8"?>
<!--
  soap11-wrap.xsl: the input document in the Body of a SOAP 1.1 envelope.

  Parameters:
    action  when not empty, a WS-Addressing Action header carries it
            (the HTTP SOAPAction field is the gateway's business).

  gw-xslt(7) documents the stock stylesheets; each has a golden test
  under tests/data/gw-mediate/.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:wsa="http://www.w3.org/2005/08/addressing"
    exclude-result-prefixes="wsa">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:param name="action" select="''"/>

  <xsl:template match="/">
    <soap:Envelope>
      <xsl:if test="string($action) != ''">
        <soap:Header>
          <wsa:Action><xsl:value-of select="$action"/></wsa:Action>
        </soap:Header>
      </xsl:if>
      <soap:Body>
        <xsl:copy-of select="*"/>
      </soap:Body>
    </soap:Envelope>
  </xsl:template>
</xsl:stylesheet>
