<?xml version="1.0" encoding="UTF-8"?>
<!--
  soap-fault-to-problem.xsl: a SOAP 1.1 or 1.2 fault (in an envelope, or
  a Fault element alone) as an RFC 9457 problem document, the same one
  gw-mediate soap-unwrap writes: a Client or Sender fault is a 400, any
  other a 502, and the fault's parts are in a "soapFault" member.

  Parameters:
    request_id  when not empty, the problem's request_id
    detail      "yes": the text of the fault's detail goes in too (it may
                leak the service's internals, so it is left out otherwise)
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:s11="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:s12="http://www.w3.org/2003/05/soap-envelope">
  <xsl:output method="text" media-type="application/problem+json"
      encoding="UTF-8"/>
  <xsl:param name="request_id" select="''"/>
  <xsl:param name="detail" select="'no'"/>

  <xsl:template match="/">
    <xsl:variable name="f" select="/s11:Fault | /s12:Fault |
        /*/s11:Body/s11:Fault | /*/s12:Body/s12:Fault"/>
    <xsl:choose>
      <xsl:when test="$f/self::s11:Fault">
        <xsl:apply-templates select="$f" mode="v11"/>
      </xsl:when>
      <xsl:when test="$f/self::s12:Fault">
        <xsl:apply-templates select="$f" mode="v12"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">no SOAP fault in the document</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- SOAP 1.1: faultcode is a QName; Client.A.B means code Client,
       subcodes A and B, when it is in the envelope's namespace -->
  <xsl:template match="s11:Fault" mode="v11">
    <xsl:variable name="qn" select="normalize-space(*[local-name() = 'faultcode'])"/>
    <xsl:variable name="prefix" select="substring-before($qn, ':')"/>
    <xsl:variable name="ns" select="*[local-name() = 'faultcode']/namespace::*[name() = $prefix]"/>
    <xsl:variable name="local">
      <xsl:choose>
        <xsl:when test="contains($qn, ':')"><xsl:value-of select="substring-after($qn, ':')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$qn"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="std" select="$ns = 'http://schemas.xmlsoap.org/soap/envelope/'"/>
    <xsl:variable name="code">
      <xsl:choose>
        <xsl:when test="$std and contains($local, '.')"><xsl:value-of select="substring-before($local, '.')"/></xsl:when>
        <xsl:when test="$std"><xsl:value-of select="$local"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$qn"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="sender" select="$std and $code = 'Client'"/>
    <xsl:call-template name="problem">
      <xsl:with-param name="version" select="'1.1'"/>
      <xsl:with-param name="sender" select="$sender"/>
      <xsl:with-param name="code" select="$code"/>
      <xsl:with-param name="subcodes">
        <xsl:if test="$std and contains($local, '.')">
          <xsl:call-template name="dotted">
            <xsl:with-param name="s" select="substring-after($local, '.')"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:with-param>
      <xsl:with-param name="reason" select="normalize-space(*[local-name() = 'faultstring'])"/>
      <xsl:with-param name="has_reason" select="boolean(*[local-name() = 'faultstring'])"/>
      <xsl:with-param name="actor" select="*[local-name() = 'faultactor']"/>
      <xsl:with-param name="node" select="/.."/>
      <xsl:with-param name="d" select="*[local-name() = 'detail']"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="s12:Fault" mode="v12">
    <xsl:variable name="qn" select="normalize-space(s12:Code/s12:Value)"/>
    <xsl:variable name="prefix" select="substring-before($qn, ':')"/>
    <xsl:variable name="ns" select="s12:Code/s12:Value/namespace::*[name() = $prefix]"/>
    <xsl:variable name="std" select="$ns = 'http://www.w3.org/2003/05/soap-envelope'"/>
    <xsl:variable name="code">
      <xsl:choose>
        <xsl:when test="$std"><xsl:value-of select="substring-after($qn, ':')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$qn"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:call-template name="problem">
      <xsl:with-param name="version" select="'1.2'"/>
      <xsl:with-param name="sender" select="$std and $code = 'Sender'"/>
      <xsl:with-param name="code" select="$code"/>
      <xsl:with-param name="subcodes">
        <xsl:for-each select="s12:Code//s12:Subcode/s12:Value">
          <xsl:if test="position() &gt; 1">,</xsl:if>
          <xsl:call-template name="string">
            <xsl:with-param name="s" select="normalize-space(.)"/>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:with-param>
      <xsl:with-param name="reason" select="normalize-space(s12:Reason/s12:Text[1])"/>
      <xsl:with-param name="has_reason" select="boolean(s12:Reason/s12:Text)"/>
      <xsl:with-param name="actor" select="s12:Role"/>
      <xsl:with-param name="node" select="s12:Node"/>
      <xsl:with-param name="d" select="s12:Detail"/>
    </xsl:call-template>
  </xsl:template>

  <!-- "A.B" as the JSON strings "A","B" -->
  <xsl:template name="dotted">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="contains($s, '.')">
        <xsl:call-template name="string">
          <xsl:with-param name="s" select="substring-before($s, '.')"/>
        </xsl:call-template>
        <xsl:text>,</xsl:text>
        <xsl:call-template name="dotted">
          <xsl:with-param name="s" select="substring-after($s, '.')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="string">
          <xsl:with-param name="s" select="$s"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="problem">
    <xsl:param name="version"/>
    <xsl:param name="sender"/>
    <xsl:param name="code"/>
    <xsl:param name="subcodes"/>
    <xsl:param name="reason"/>
    <xsl:param name="has_reason"/>
    <xsl:param name="actor"/>
    <xsl:param name="node"/>
    <xsl:param name="d"/>
    <xsl:variable name="status">
      <xsl:choose>
        <xsl:when test="$sender">400</xsl:when>
        <xsl:otherwise>502</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:text>{"type":"urn:gw:problem:soap-fault","title":"</xsl:text>
    <xsl:choose>
      <xsl:when test="$sender">Bad Request</xsl:when>
      <xsl:otherwise>Bad Gateway</xsl:otherwise>
    </xsl:choose>
    <xsl:text>","status":</xsl:text>
    <xsl:value-of select="$status"/>
    <xsl:text>,"detail":</xsl:text>
    <xsl:call-template name="string">
      <xsl:with-param name="s">
        <xsl:choose>
          <xsl:when test="$has_reason"><xsl:value-of select="$reason"/></xsl:when>
          <xsl:otherwise>the upstream answered with a SOAP fault</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:if test="string($request_id) != ''">
      <xsl:text>,"request_id":</xsl:text>
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="$request_id"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:text>,"soapFault":{"version":"</xsl:text>
    <xsl:value-of select="$version"/>
    <xsl:text>","code":</xsl:text>
    <xsl:call-template name="string">
      <xsl:with-param name="s" select="$code"/>
    </xsl:call-template>
    <xsl:if test="string($subcodes) != ''">
      <xsl:text>,"subcodes":[</xsl:text>
      <xsl:value-of select="$subcodes"/>
      <xsl:text>]</xsl:text>
    </xsl:if>
    <xsl:if test="$has_reason">
      <xsl:text>,"reason":</xsl:text>
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="$reason"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="normalize-space($actor) != ''">
      <xsl:text>,"actor":</xsl:text>
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="normalize-space($actor)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="normalize-space($node) != ''">
      <xsl:text>,"node":</xsl:text>
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="normalize-space($node)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="$detail = 'yes' and $d">
      <xsl:text>,"detail":</xsl:text>
      <xsl:call-template name="string">
        <xsl:with-param name="s" select="normalize-space($d)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:text>}}&#10;</xsl:text>
  </xsl:template>

  <!-- a JSON string: quotes and backslashes escaped, and the three
       control characters XML can carry -->
  <xsl:template name="string">
    <xsl:param name="s"/>
    <xsl:text>"</xsl:text>
    <xsl:call-template name="escape">
      <xsl:with-param name="s" select="$s"/>
    </xsl:call-template>
    <xsl:text>"</xsl:text>
  </xsl:template>

  <xsl:template name="escape">
    <xsl:param name="s"/>
    <xsl:variable name="c" select="substring(translate($s, concat('&quot;\&#9;&#10;&#13;', translate($s, '&quot;\&#9;&#10;&#13;', '')), '&quot;\&#9;&#10;&#13;'), 1, 1)"/>
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
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
