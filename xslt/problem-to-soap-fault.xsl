<?xml version="1.0" encoding="UTF-8"?>
<!--
  problem-to-soap-fault.xsl: a REST error as a SOAP fault.  The input is
  an RFC 9457 problem document (or any JSON object) in the lossless XML
  of gw-mediate json2xml (fn:json-to-xml); the output is a SOAP envelope
  with a fault, as gw-serve makes one for a caller that speaks SOAP: a
  4xx status is the caller's fault (Client, Sender), a 5xx the service's
  (Server, Receiver).

  Parameters:
    version  "1.1" (the default) or "1.2"
    status   the HTTP status; empty: the problem's own "status" member
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:param name="version" select="'1.1'"/>
  <xsl:param name="status" select="''"/>

  <xsl:template match="/fn:map" priority="1">
    <xsl:variable name="st">
      <xsl:choose>
        <xsl:when test="string($status) != ''"><xsl:value-of select="$status"/></xsl:when>
        <xsl:when test="fn:number[@key = 'status']"><xsl:value-of select="normalize-space(fn:number[@key = 'status'])"/></xsl:when>
        <xsl:otherwise>500</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="title" select="fn:string[@key = 'title']"/>
    <xsl:variable name="detail" select="fn:string[@key = 'detail']"/>
    <xsl:variable name="type" select="fn:string[@key = 'type']"/>
    <xsl:variable name="reason">
      <xsl:choose>
        <xsl:when test="$title and $detail"><xsl:value-of select="concat($title, ': ', $detail)"/></xsl:when>
        <xsl:when test="$title"><xsl:value-of select="$title"/></xsl:when>
        <xsl:when test="$detail"><xsl:value-of select="$detail"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="concat('HTTP status ', $st)"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="slug">
      <xsl:call-template name="slug">
        <xsl:with-param name="s" select="string($type)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="sender" select="number($st) &lt; 500"/>
    <xsl:choose>
      <xsl:when test="$version = '1.2'">
        <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
          <soap:Body>
            <soap:Fault>
              <soap:Code>
                <soap:Value>
                  <xsl:choose>
                    <xsl:when test="$sender">soap:Sender</xsl:when>
                    <xsl:otherwise>soap:Receiver</xsl:otherwise>
                  </xsl:choose>
                </soap:Value>
                <xsl:if test="$slug != ''">
                  <soap:Subcode>
                    <soap:Value xmlns:gw="urn:gw:soap">gw:<xsl:value-of select="$slug"/></soap:Value>
                  </soap:Subcode>
                </xsl:if>
              </soap:Code>
              <soap:Reason><soap:Text xml:lang="en"><xsl:value-of select="$reason"/></soap:Text></soap:Reason>
              <soap:Detail><xsl:call-template name="detail"><xsl:with-param name="st" select="$st"/></xsl:call-template></soap:Detail>
            </soap:Fault>
          </soap:Body>
        </soap:Envelope>
      </xsl:when>
      <xsl:otherwise>
        <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
          <soap:Body>
            <soap:Fault>
              <faultcode>
                <xsl:choose>
                  <xsl:when test="$sender">soap:Client</xsl:when>
                  <xsl:otherwise>soap:Server</xsl:otherwise>
                </xsl:choose>
                <xsl:if test="$slug != ''">.<xsl:value-of select="$slug"/></xsl:if>
              </faultcode>
              <faultstring><xsl:value-of select="$reason"/></faultstring>
              <detail><xsl:call-template name="detail"><xsl:with-param name="st" select="$st"/></xsl:call-template></detail>
            </soap:Fault>
          </soap:Body>
        </soap:Envelope>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/*">
    <xsl:message terminate="yes">expected a JSON object in the lossless XML of gw-mediate json2xml</xsl:message>
  </xsl:template>

  <xsl:template name="detail">
    <xsl:param name="st"/>
    <gw:error xmlns:gw="urn:gw:soap" status="{$st}">
      <xsl:if test="fn:string[@key = 'type']">
        <xsl:attribute name="type"><xsl:value-of select="fn:string[@key = 'type']"/></xsl:attribute>
      </xsl:if>
    </gw:error>
  </xsl:template>

  <!-- "urn:gw:problem:not-found" or "https://x/probs/out-of-stock": the
       last word -->
  <xsl:template name="slug">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="contains($s, ':') or contains($s, '/')">
        <xsl:call-template name="slug">
          <xsl:with-param name="s" select="substring-after(translate($s, '/', ':'), ':')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
