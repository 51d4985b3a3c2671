<?xml version="1.0"?>
<!-- compose.xsl: the item as XML, from the results of t3005's script -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:price" exclude-result-prefixes="p">
  <xsl:output method="xml" indent="no" omit-xml-declaration="yes"
      media-type="application/vnd.item+xml"/>
  <xsl:template match="/orchestration">
    <item id="{request/param[@name='id']/@value}">
      <sku><xsl:value-of select="step[@name='lookup']/body/sku"/></sku>
      <title><xsl:value-of select="step[@name='content']/body/title"/></title>
      <price currency="{step[@name='price']/body/p:price/@currency}">
        <xsl:value-of select="step[@name='price']/body/p:price/p:amount"/>
      </price>
      <stock><xsl:value-of select="step[@name='stock']/body/GetStockResponse/count"/></stock>
    </item>
  </xsl:template>
</xsl:stylesheet>
